import path from 'node:path';
import { DEFAULT_INTERVAL_MS, formatInterval, parseDuration, parseInterval } from '../backup/interval.ts';
import { RETENTION_FLAGS, retentionFromFlags } from '../backup/retention-policy.ts';
import type { RetentionPolicy } from '../backup/retention.ts';
import { excludeProblem } from '../backup/snapshot-excludes.ts';
import { clusterFlags, type CliCluster } from './cluster-flags.ts';
import { httpAddress, type HttpAddress } from './http-flag.ts';
import { parseArgsLayered, settingLayer, type OptionLayers } from './layered-parse-args.ts';
import { logFlags, type CliLog } from './log-flags.ts';
import { notifyFlags, type CliNotify } from './notify-flags.ts';
import { wholeNumber } from './whole-number.ts';
import {
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_NESTING_DEPTH,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_MAX_UNANSWERED_REQUESTS,
  DEFAULT_MAX_UNREAD_REPLY_BYTES,
  DEFAULT_PORT,
  DEFAULT_REQUEST_DEADLINE_MS,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_VERIFY_INTERVAL_MS,
  MIN_MAX_UNREAD_REPLY_BYTES,
} from '../host/host-options.ts';

export { DEFAULT_INTERVAL_MS };

/** What the command line asked for, checked. */
export interface CliConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly backupDir: string | undefined;
  readonly sources: readonly string[];
  /** Directories under which requests may name paths (`--allow`, repeatable). */
  readonly allowedPaths: readonly string[];
  /** `--exclude` globs, for the folders among `sources`. */
  readonly excludes: readonly string[];
  /** Undefined when --interval was not given (the default applies, or the prompt asks). */
  readonly intervalMs: number | undefined;
  /** The `--keep-*` flags, for every source on this command line; empty keeps every version. */
  readonly retention: RetentionPolicy;
  readonly maxRequestBytes: number;
  readonly idleTimeoutMs: number;
  /** The socket's other limits against hostile clients (see README "Limits"). */
  readonly maxNestingDepth: number;
  readonly requestDeadlineMs: number;
  readonly maxUnansweredRequests: number;
  readonly maxUnreadReplyBytes: number;
  readonly maxConnections: number;
  readonly shutdownGraceMs: number;
  readonly verbose: boolean;
  /** `--log-format`, `--log-level` (`--verbose` is `debug`), `--log-file`: HostOptions.log. */
  readonly log: CliLog;
  /** Where seed replies of the password book also go (`--reply-to`), or null. */
  readonly replyTo: { readonly host: string; readonly port: number } | null;
  /** Where to record the run (`--record`), or null. */
  readonly record: string | null;
  /** How often the scrub verifies every version (`--verify-interval`); 0 is off. */
  readonly verifyIntervalMs: number;
  /** Read each new copy back before registering it (`--verify-copies`). */
  readonly verifyCopies: boolean;
  /** `--checkpoint-bytes`: log bytes between store checkpoints, or undefined for the default. */
  readonly checkpointLogBytes: number | undefined;
  /** `--on-failure`, `--webhook`, `--heartbeat`: who is told about failures and good runs; empty tells nobody. */
  readonly notify: CliNotify;
  /** `--http`: where the status page, /metrics and /healthz are served, or null for nowhere. */
  readonly http: HttpAddress | null;
  /** `--cluster` and its companions (`--node-name`, `--store`…); `cluster` null without it. */
  readonly cluster: CliCluster;
}

export type CliParse =
  | { readonly kind: 'run'; readonly config: CliConfig }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'error'; readonly message: string };

export const HELP = `Usage: safekeep [options]
       safekeep check [--data-dir DIR]   (checks a stopped service's data offline)
       safekeep replay RECORDING
       safekeep status [--json]          (asks a running service; --help for more)
       safekeep versions JOB [--json]

Backs up files at an interval and keeps a password book of encrypted
per-user vaults; socket clients reach both on one port (text requests for
backups, JSON requests for the password book; see README.md).

Options:
  --source PATH           File or folder to back up; repeat for more (one job
                          each). A folder is kept as snapshots: plain trees
                          where unchanged files are hard links to the last one.
                          Without it, saved jobs resume; with none saved and a
                          terminal, safekeep asks for a file and an interval.
  --exclude GLOB          Leave matching entries out of the folders given with
                          --source; repeatable. Relative to the folder, as in
                          .gitignore: *.tmp (any depth), build/*.o (anchored),
                          cache/ (folders only), **/tmp.
  --interval TIME         How often to back up: seconds (60) or 30s, 5m, 1h, 1d;
                          from 1s to a year. Default ${formatInterval(DEFAULT_INTERVAL_MS)}.
  --allow DIR             Let requests name paths under DIR (repeatable): the
                          source of \`add\`, the target of \`restore\`. Paths are
                          checked where they really lead (.. and symlinks
                          followed), never into the data or backup directory.
                          Default: none (a restore to a job's own source is
                          always allowed).
  --keep-last N           Keep the newest N versions of each source (--keep N
                          is the same).
  --keep-hourly N         Keep the newest version of each of the N newest hours
                          that have versions; likewise --keep-daily N,
                          --keep-weekly N (ISO weeks), --keep-monthly N and
                          --keep-yearly N, in this machine's time zone. A
                          version any rule keeps stays; the rest are removed
                          after each new version. Default: keep every version.
                          They apply to the sources on this command line.
  --data-dir DIR          Where safekeep keeps its catalog and lock
                          (default ./safekeep-data). One process per directory.
  --backup-dir DIR        Where versions are written (default DATA-DIR/backups).
  --config FILE           Read settings from FILE (JSON, comments allowed);
                          without it DATA-DIR/safekeep.json if present. Keys are
                          the long flags in camelCase ("dataDir"), plus "jobs".
                          Every single-valued flag can also be set in the
                          environment: SAFEKEEP_PORT, SAFEKEEP_DATA_DIR, …
                          Flags win over the environment, which wins over the
                          file; a repeatable flag replaces the file's list.
  --host HOST             Address to listen on (default 127.0.0.1).
  --port PORT             Port to listen on (default ${DEFAULT_PORT}); 0 picks a free one.
  --max-request-bytes N   Longest request accepted (default ${DEFAULT_MAX_REQUEST_BYTES}).
  --idle-timeout TIME     Close a connection this long after its last complete
                          request or reply (default 10m).
  --max-nesting-depth N   Deepest nesting in a JSON request (default ${DEFAULT_MAX_NESTING_DEPTH}).
  --request-deadline TIME How long a request may take to arrive whole after its
                          first byte (default ${formatInterval(DEFAULT_REQUEST_DEADLINE_MS)}).
  --max-unanswered N      Requests one connection may have awaiting answers; it
                          is read no further meanwhile (default ${DEFAULT_MAX_UNANSWERED_REQUESTS}).
  --max-unread-reply-bytes N
                          Replies a client may leave unread before it is cut off
                          (default ${DEFAULT_MAX_UNREAD_REPLY_BYTES}).
  --max-connections N     Connections served at once; a new client takes the
                          place of an idle or slow one (default ${DEFAULT_MAX_CONNECTIONS}).
  --shutdown-grace TIME   On stop, how long clients get for their last replies
                          (default ${formatInterval(DEFAULT_SHUTDOWN_GRACE_MS)}).
  --reply-to HOST:PORT    Also deliver each reply to a password-book seed message
                          by connecting to HOST:PORT, as the seed service did
                          (its example client listens on 127.0.0.1:12346).
  --verify-interval TIME  Re-hash every version against the catalog this often,
                          gently (one at a time, at most 16 MiB/s, never during
                          a backup); damaged ones are quarantined. 0 or off
                          turns it off (default ${formatInterval(DEFAULT_VERIFY_INTERVAL_MS)}). The
                          socket word \`verify\` runs a pass at once.
  --verify-copies         Read every new copy back and check its SHA-256 before
                          registering it (a second pass; off by default: the
                          hash is of the very bytes written).
  --checkpoint-bytes N    Fold the store's write-ahead log into its files once
                          it holds N bytes (default 16777216; small values are
                          for tests that kill during checkpoints).
  --on-failure CMD        Run CMD with /bin/sh when a run fails or a version is
                          found damaged; the details are in SAFEKEEP_EVENT,
                          SAFEKEEP_JOB, SAFEKEEP_MESSAGE… (see README). Killed
                          after 30s.
  --webhook URL           POST a JSON notice to URL (http or https) when a run
                          fails or a version is found damaged. A failing job is
                          told once, then hourly while it keeps failing.
  --heartbeat URL         GET URL after good runs (at most once a minute), for
                          a dead man's switch such as healthchecks.io.
  --record FILE           Record every step of this run to FILE (NDJSON, secrets
                          replaced by placeholders) for \`safekeep replay FILE\`.
  --http [HOST:]PORT      Serve the status page, /metrics and /healthz over HTTP
                          (host default 127.0.0.1; 0 picks a free port). No login:
                          keep it on loopback or behind a proxy that asks for one.
  --cluster URLS          Join a safekeep cluster on NATS JetStream: the NATS
                          servers, nats://[USER:PASSWORD@]HOST:PORT[,...]
                          (README "Cluster").
                          The book and the catalog are then shared by every
                          node; any node answers any client.
  --node-name NAME        This node's name in the cluster (default: the host
                          name); unique per node.
  --store STORE           nats (JetStream KV, shared; the default with
                          --cluster) or lowdb (this node's own files).
  --replicas N            JetStream replicas of safekeep's buckets (default 3:
                          a write is acknowledged once three servers have it).
  --version-store WHERE   local (the default: versions on this node's disk) or
                          nats (also in a JetStream object store, so any node
                          can serve revert for them).
  --shared-source         The --source paths are on storage every node sees:
                          one node at a time runs each job, under a lease.
  --lease-ttl TIME        How long a shared job's lease lasts unrenewed; then
                          another node takes the job over (default 10s).
  --log-format FORMAT     pretty (short lines, the default on stderr) or json
                          (one JSON record a line, the default with --log-file).
  --log-level LEVEL       trace, debug, info (default), warn, error, fatal or
                          silent. debug adds schedules, connections and one
                          line per request; trace adds store commands.
  --log-file PATH         Append the log to PATH instead of stderr (created
                          0640; SIGHUP reopens it, for logrotate).
  --verbose               Same as --log-level debug.
  --version               Print the version and exit.
  -h, --help              Show this help.
`;

/**
 * Every flag of the service's command line, as parseArgs reads them. The
 * config file's keys and the SAFEKEEP_<FLAG> variables are derived from it
 * (config-keys.ts), so a flag added here is a key and a variable too.
 */
export const CLI_OPTIONS = {
  source: { type: 'string', multiple: true },
  allow: { type: 'string', multiple: true },
  exclude: { type: 'string', multiple: true },
  interval: { type: 'string' },
  keep: { type: 'string' },
  ...Object.fromEntries(Object.values(RETENTION_FLAGS).map((flag) => [flag.slice(2), { type: 'string' as const }])),
  'data-dir': { type: 'string' },
  'backup-dir': { type: 'string' },
  config: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  'max-request-bytes': { type: 'string' },
  'idle-timeout': { type: 'string' },
  'max-nesting-depth': { type: 'string' },
  'request-deadline': { type: 'string' },
  'max-unanswered': { type: 'string' },
  'max-unread-reply-bytes': { type: 'string' },
  'max-connections': { type: 'string' },
  'shutdown-grace': { type: 'string' },
  'reply-to': { type: 'string' },
  record: { type: 'string' },
  'verify-interval': { type: 'string' },
  'verify-copies': { type: 'boolean' },
  'checkpoint-bytes': { type: 'string' },
  'on-failure': { type: 'string' },
  webhook: { type: 'string' },
  heartbeat: { type: 'string' },
  http: { type: 'string' },
  cluster: { type: 'string' },
  'node-name': { type: 'string' },
  store: { type: 'string' },
  replicas: { type: 'string' },
  'version-store': { type: 'string' },
  'shared-source': { type: 'boolean' },
  'lease-ttl': { type: 'string' },
  verbose: { type: 'boolean' },
  'log-format': { type: 'string' },
  'log-level': { type: 'string' },
  'log-file': { type: 'string' },
  version: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/**
 * Parses the command line; with `layers`, options it leaves out come from the
 * environment and the config file (see layered-parse-args.ts). Never throws: a
 * mistake comes back as `{ kind: 'error' }` with the reason.
 */
export function parseCli(argv: readonly string[], cwd: string, layers?: OptionLayers): CliParse {
  let values;
  try {
    ({ values } = parseArgsLayered(layers, {
      args: negativeValuesJoined(argv),
      strict: true,
      allowPositionals: false,
      options: CLI_OPTIONS,
    }));
  } catch (error) {
    return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
  }
  if (values.help) return { kind: 'help' };
  if (values.version) return { kind: 'version' };

  const interval = values.interval === undefined ? undefined : parseInterval(values.interval);
  if (values.interval !== undefined && interval === undefined) {
    return { kind: 'error', message: `--interval '${values.interval}' is not a time from 1s to a year, such as 60, 30s, 5m or 1h` };
  }
  const port = wholeNumber(values.port ?? String(DEFAULT_PORT), 0, 65_535);
  if (port === undefined) return { kind: 'error', message: `--port '${values.port}' is not a port number (0 to 65535)` };
  const retention = retentionOf(values);
  if (typeof retention === 'string') return { kind: 'error', message: retention };
  const maxRequestBytes = wholeNumber(values['max-request-bytes'] ?? String(DEFAULT_MAX_REQUEST_BYTES), 16, 1024 ** 3);
  if (maxRequestBytes === undefined) {
    return { kind: 'error', message: `--max-request-bytes '${values['max-request-bytes']}' is not a size from 16 bytes to 1 GiB` };
  }
  const idleTimeoutMs = values['idle-timeout'] === undefined ? DEFAULT_IDLE_TIMEOUT_MS : parseDuration(values['idle-timeout']);
  if (idleTimeoutMs === undefined) return { kind: 'error', message: `--idle-timeout '${values['idle-timeout']}' is not a positive time` };
  const limits = socketLimits(values);
  if (typeof limits === 'string') return { kind: 'error', message: limits };
  const replyTo = values['reply-to'] === undefined ? null : hostAndPort(values['reply-to']);
  if (replyTo === undefined) return { kind: 'error', message: `--reply-to '${values['reply-to']}' is not HOST:PORT (for example 127.0.0.1:12346)` };
  if (values.record !== undefined && values.record.trim() === '') return { kind: 'error', message: '--record needs a file path' };
  const verifyText = values['verify-interval'];
  const verifyIntervalMs = verifyText === undefined ? DEFAULT_VERIFY_INTERVAL_MS : /^\s*(0|off)\s*$/i.test(verifyText) ? 0 : parseInterval(verifyText);
  if (verifyIntervalMs === undefined) {
    return { kind: 'error', message: `--verify-interval '${verifyText}' is not a positive time such as 12h or 1d, or 0 / off` };
  }
  const checkpointText = values['checkpoint-bytes'];
  const checkpointLogBytes = checkpointText === undefined ? undefined : wholeNumber(checkpointText, 1, 1024 ** 4);
  if (checkpointText !== undefined && checkpointLogBytes === undefined) {
    return { kind: 'error', message: `--checkpoint-bytes '${checkpointText}' is not a whole number of bytes from 1 to 1 TiB` };
  }
  const notify = notifyFlags(values);
  if (typeof notify === 'string') return { kind: 'error', message: notify };
  const log = logFlags(values, cwd, (flag) => settingLayer(layers, flag));
  if (typeof log === 'string') return { kind: 'error', message: log };
  const http = values.http === undefined ? null : httpAddress(values.http);
  if (http === undefined) {
    return { kind: 'error', message: `--http '${values.http}' is not PORT or HOST:PORT (for example 8080 or 127.0.0.1:8080; 0 picks a free port)` };
  }
  const cluster = clusterFlags(values);
  if (typeof cluster === 'string') return { kind: 'error', message: cluster };
  const sources = values.source ?? [];
  if (sources.some((source) => source.trim() === '')) return { kind: 'error', message: '--source needs a file path' };
  const allowed = values.allow ?? [];
  if (allowed.some((directory) => directory.trim() === '')) return { kind: 'error', message: '--allow needs a directory' };
  const excludes = values.exclude ?? [];
  const excludeProblems = excludes.map(excludeProblem).filter((problem) => problem !== null);
  if (excludeProblems[0]) return { kind: 'error', message: excludeProblems[0] };

  return {
    kind: 'run',
    config: {
      host: values.host ?? '127.0.0.1',
      port,
      dataDir: path.resolve(cwd, values['data-dir'] ?? 'safekeep-data'),
      backupDir: values['backup-dir'] === undefined ? undefined : path.resolve(cwd, values['backup-dir']),
      sources: sources.map((source) => path.resolve(cwd, source)),
      allowedPaths: allowed.map((directory) => path.resolve(cwd, directory)),
      excludes,
      intervalMs: interval,
      retention,
      maxRequestBytes,
      idleTimeoutMs,
      ...limits,
      verbose: values.verbose ?? false,
      log,
      replyTo,
      record: values.record === undefined ? null : path.resolve(cwd, values.record),
      verifyIntervalMs,
      verifyCopies: values['verify-copies'] ?? false,
      checkpointLogBytes,
      notify,
      http,
      cluster,
    },
  };
}

/** The policy the `--keep-*` flags (and `--keep`, short for `--keep-last`) say, or what is wrong with them. */
function retentionOf(values: Readonly<Record<string, unknown>>): RetentionPolicy | string {
  const words = ['--keep', ...Object.values(RETENTION_FLAGS)].flatMap((flag) => {
    const value = values[flag.slice(2)];
    return typeof value === 'string' ? [flag, value] : [];
  });
  try {
    return retentionFromFlags(words).policy;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * `--interval -5` as `--interval=-5`: parseArgs would otherwise take `-5` for
 * an option and say the value is "ambiguous"; joined, the value reaches the
 * check that explains what a valid one looks like.
 */
function negativeValuesJoined(argv: readonly string[]): string[] {
  const joined: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    if (/^--[a-z-]+$/.test(arg) && next !== undefined && /^-[\d.]/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else {
      joined.push(arg);
    }
  }
  return joined;
}

type SocketLimits = Pick<CliConfig, 'maxNestingDepth' | 'requestDeadlineMs' | 'maxUnansweredRequests' | 'maxUnreadReplyBytes' | 'maxConnections' | 'shutdownGraceMs'>;

/** The socket's limits from their flags, or what is wrong with one. */
function socketLimits(values: Readonly<Record<string, unknown>>): SocketLimits | string {
  const flag = (name: string): string | undefined => (typeof values[name] === 'string' ? values[name] : undefined);
  const count = (name: string, fallback: number, min: number, max: number, what: string): number | string => {
    const text = flag(name);
    const n = text === undefined ? fallback : wholeNumber(text, min, max);
    return n ?? `--${name} '${text}' is not ${what}`;
  };
  const time = (name: string, fallback: number): number | string => {
    const text = flag(name);
    const ms = text === undefined ? fallback : parseDuration(text);
    return ms ?? `--${name} '${text}' is not a positive time such as 500ms, 10s or 1m`;
  };
  const limits = {
    maxNestingDepth: count('max-nesting-depth', DEFAULT_MAX_NESTING_DEPTH, 1, 10_000, 'a whole number from 1 to 10000'),
    requestDeadlineMs: time('request-deadline', DEFAULT_REQUEST_DEADLINE_MS),
    maxUnansweredRequests: count('max-unanswered', DEFAULT_MAX_UNANSWERED_REQUESTS, 1, 100_000, 'a whole number from 1 to 100000'),
    // At least 128 KiB: reading resumes when the socket drains, and Node says so only past its 16 KiB mark (an eighth of this).
    maxUnreadReplyBytes: count('max-unread-reply-bytes', DEFAULT_MAX_UNREAD_REPLY_BYTES, MIN_MAX_UNREAD_REPLY_BYTES, 1024 ** 3, 'a size from 131072 bytes (128 KiB) to 1 GiB'),
    maxConnections: count('max-connections', DEFAULT_MAX_CONNECTIONS, 1, 1_000_000, 'a whole number from 1 to 1000000'),
    shutdownGraceMs: time('shutdown-grace', DEFAULT_SHUTDOWN_GRACE_MS),
  };
  const problem = Object.values(limits).find((value) => typeof value === 'string');
  return problem ?? (limits as SocketLimits);
}

/** `host:port` or `[v6]:port`, with a port from 1 to 65535. */
function hostAndPort(text: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text.trim());
  const host = match?.[1] ?? match?.[2];
  const port = match?.[3] === undefined ? undefined : wholeNumber(match[3], 1, 65_535);
  return host === undefined || port === undefined ? undefined : { host, port };
}
