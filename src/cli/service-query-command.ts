import { parseArgs } from 'node:util';
import type { Writable } from 'node:stream';
import type { ServiceStatus } from '../backup/job-report.ts';
import { parseDuration } from '../backup/interval.ts';
import { parseConfigured } from './configured-cli.ts';
import { askService, ServiceUnreachableError } from './service-client.ts';
import { jobNeedsAttention, renderStatus, renderVersions, type ReportClock, type VersionsResult } from './service-report.ts';

/** Exit codes of `safekeep status` and `safekeep versions`, for cron jobs and monitors. */
export const QUERY_EXIT = {
  /** Answered, and nothing needs attention. */
  ok: 0,
  /** The service could not be reached, or answered with an error (an unknown job: UNKNOWN_JOB). */
  failed: 1,
  /** A mistake on the command line, in the environment or in the config file. */
  usage: 2,
  /** Answered, but something needs attention: a job whose last run failed, or damaged versions. */
  attention: 3,
} as const;

const DEFAULT_TIMEOUT_MS = 5_000;

export const QUERY_HELP = `Usage: safekeep status [options]
       safekeep versions JOB [options]

Asks a running safekeep over its socket: \`status\` shows every job (state,
last and next run, versions, size, damaged versions); \`versions JOB\` lists a
job's versions, newest first, damaged ones flagged.

Options:
  --host HOST       The service's address (default: as the service would read
  --port PORT       it: flags, SAFEKEEP_HOST/SAFEKEEP_PORT, the config file;
                    else 127.0.0.1:12345).
  --config FILE     Read host and port from this config file (default
                    DATA-DIR/safekeep.json if present).
  --data-dir DIR    Where to look for safekeep.json (default ./safekeep-data).
  --timeout TIME    How long to wait to connect and for the answer (default 5s).
  --json            Print the service's result as JSON, for scripts.
  -h, --help        Show this help.

Exit codes: 0 all good; 1 the service could not be reached or answered an
error (such as UNKNOWN_JOB); 2 a usage error; 3 answered, but a job's last run
failed or a version is damaged.
`;

/**
 * `safekeep status` and `safekeep versions JOB`: one request to a running
 * service, its answer as a table (or `--json`), and an exit code a monitor
 * can act on (QUERY_EXIT).
 */
export async function serviceQueryCommand(
  word: 'status' | 'versions',
  argv: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  stdout: Writable,
  stderr: Writable,
  clock: ReportClock = { now: Date.now() },
): Promise<number> {
  const usage = (message: string) => {
    stderr.write(`safekeep ${word}: ${message}\nRun safekeep ${word} --help to see the options.\n`);
    return QUERY_EXIT.usage;
  };
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        config: { type: 'string' },
        'data-dir': { type: 'string' },
        timeout: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    stdout.write(QUERY_HELP);
    return QUERY_EXIT.ok;
  }
  if (word === 'status' && positionals.length > 0) return usage(`takes no job (did you mean: safekeep versions ${positionals[0]}?)`);
  if (word === 'versions' && positionals.length !== 1) return usage('needs one job, by its id or its source path (see safekeep status)');
  const timeoutMs = values.timeout === undefined ? DEFAULT_TIMEOUT_MS : parseDuration(values.timeout);
  if (timeoutMs === undefined) return usage(`--timeout '${values.timeout}' is not a positive time such as 500ms, 5s or 1m`);

  // The service's own reading of flags, environment and config file says where it listens.
  const flags = (['host', 'port', 'config', 'data-dir'] as const).flatMap((flag) => (values[flag] === undefined ? [] : [`--${flag}`, values[flag]]));
  const settings = parseConfigured(flags, cwd, env);
  if (settings.kind === 'error') return usage(settings.message);
  if (settings.kind !== 'run') return usage('unexpected option');
  const { port } = settings.config;
  if (port === 0) return usage('the service picks its port (port 0); give the one it printed with --port');
  const host = connectableHost(settings.config.host);
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;

  const request = word === 'status' ? { type: 'backup.status' } : { type: 'backup.versions', job: positionals[0] };
  let answer;
  try {
    answer = await askService(host, port, request, timeoutMs);
  } catch (error) {
    if (!(error instanceof ServiceUnreachableError)) throw error;
    stderr.write(`safekeep ${word}: ${error.message}\n`);
    return QUERY_EXIT.failed;
  }
  if (!answer.ok) {
    stderr.write(`safekeep ${word}: ${answer.error.message} (code ${answer.error.code})\n`);
    return QUERY_EXIT.failed;
  }
  if (word === 'status') {
    const status = answer.result as ServiceStatus;
    stdout.write(values.json ? `${JSON.stringify(status, null, 2)}\n` : renderStatus(status, address, clock));
    return status.jobs.some(jobNeedsAttention) ? QUERY_EXIT.attention : QUERY_EXIT.ok;
  }
  const listing = answer.result as VersionsResult;
  stdout.write(values.json ? `${JSON.stringify(listing, null, 2)}\n` : renderVersions(listing, clock));
  return listing.versions.some((version) => version.damaged !== null) ? QUERY_EXIT.attention : QUERY_EXIT.ok;
}

/** A service listening on every address is reached on loopback. */
function connectableHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}
