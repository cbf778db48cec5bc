import path from 'node:path';
import type { RetentionPolicy } from '../backup/retention.ts';
import type { FileOrigin, JobEntry } from './config-file.ts';
import type { EnvOrigin } from './config-env.ts';
import { parseCli, type CliConfig, type CliParse } from './cli-options.ts';
import type { OptionLayers } from './layered-parse-args.ts';

/** A job from the config file's `jobs`, checked by the same rules as `--source` and its flags. */
export interface ConfiguredJob {
  readonly sourcePath: string;
  /** Undefined: the file's (or the flags') `interval`, else the default. */
  readonly intervalMs: number | undefined;
  readonly retention: RetentionPolicy;
  readonly excludes: readonly string[];
  /** `"shared": true` (only with `--cluster`): whoever holds the job's lease runs it. */
  readonly shared?: true;
}

/** What the command line, the environment and the config file say together. */
export type ConfiguredParse =
  | { readonly kind: 'run'; readonly config: CliConfig; readonly jobs: readonly ConfiguredJob[]; readonly configFile: string | null }
  | Exclude<CliParse, { kind: 'run' }>;

/**
 * parseCli with the environment and the config file beneath the command line
 * (flags > env > file > defaults). A value the flags' checks reject is placed
 * where it was written: `config file F, line N, key "port": …` or
 * `SAFEKEEP_PORT: …`. `jobs` from the file apply unless `--source` is given
 * on the command line, which replaces them.
 *
 * @example
 * const parsed = parseConfigured(['--config', 'safekeep.json'], process.cwd(), process.env);
 * if (parsed.kind === 'error') console.error(parsed.message); // exit 2
 */
export function parseConfigured(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv): ConfiguredParse {
  const layers: OptionLayers = { cwd, env };
  const parsed = parseCli(argv, cwd, layers);
  if (parsed.kind === 'error') return { kind: 'error', message: placed(parsed.message, layers) };
  if (parsed.kind !== 'run') return parsed;
  const found = layers.found;
  const file = found?.file ?? null;
  if (file === null || found?.commandLine.has('source')) return { ...parsed, jobs: [], configFile: file?.file ?? null };
  const jobs: ConfiguredJob[] = [];
  for (const entry of file.jobs) {
    const job = configuredJob(entry, parsed.config, path.dirname(file.file));
    if (typeof job === 'string') return { kind: 'error', message: job };
    jobs.push(job);
  }
  return { ...parsed, jobs, configFile: file.file };
}

/** One `jobs` entry through the flags' own checks; what it leaves out, the top level says. */
function configuredJob(entry: JobEntry, top: CliConfig, base: string): ConfiguredJob | string {
  const parsed = parseCli(entry.argv, base);
  if (parsed.kind !== 'run') return placedIn(parsed.kind === 'error' ? parsed.message : 'is not a job', entry.origins);
  const own = (flag: string) => entry.origins.has(flag);
  const ownRetention = [...entry.origins.keys()].some((flag) => flag.startsWith('keep'));
  const { shared } = entry;
  if (shared?.value && top.cluster.cluster === null) {
    return `config file ${shared.origin.file}, line ${shared.origin.line}, key "${shared.origin.key}": needs --cluster: a shared source only means something in a cluster`;
  }
  return {
    ...(shared?.value ? { shared: true as const } : {}),
    sourcePath: parsed.config.sources[0] as string,
    intervalMs: own('interval') ? parsed.config.intervalMs : top.intervalMs,
    retention: ownRetention ? parsed.config.retention : top.retention,
    excludes: own('exclude') ? parsed.config.excludes : top.excludes,
  };
}

function placed(message: string, layers: OptionLayers): string {
  if (!layers.found) return message;
  const { commandLine, origins } = layers.found;
  const flag = flagIn(message);
  if (flag === undefined || commandLine.has(flag)) return message;
  return placedIn(message, origins);
}

/** `--port 'x' is not…` from the file → `config file F, line 3, key "port": 'x' is not…`; from the env → `SAFEKEEP_PORT: …`. */
function placedIn(message: string, origins: ReadonlyMap<string, FileOrigin | EnvOrigin>): string {
  const flag = flagIn(message);
  const origin = flag === undefined ? undefined : origins.get(flag);
  if (origin === undefined) return message;
  const rest = message.replace(new RegExp(`^--${flag}\\s*`), '');
  return origin.kind === 'env' ? `${origin.variable}: ${rest}` : `config file ${origin.file}, line ${origin.line}, key "${origin.key}": ${rest}`;
}

/** The flag a check's message is about: its first `--name`. */
function flagIn(message: string): string | undefined {
  return /--([a-z][a-z-]*)/.exec(message)?.[1];
}
