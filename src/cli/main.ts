#!/usr/bin/env node
import { stat } from 'node:fs/promises';
import { SafekeepError, systemErrorCode } from '../errors/safekeep-error.ts';
import type { Host } from '../host/host.ts';
import { startHost } from '../host/start-host.ts';
import type { BackupJobSpec } from '../backup/job.ts';
import { DEFAULT_INTERVAL_MS, HELP, type CliConfig } from './cli-options.ts';
import { parseConfigured, type ConfiguredJob } from './configured-cli.ts';
import { packageVersion } from './package-version.ts';
import { httpUrl, isLoopback, startupLine } from './startup-line.ts';

/** A second Ctrl-C this soon after the first is the same key press, delivered by npm as well as by the terminal. */
const REPEATED_SIGNAL_MS = 1_000;

/**
 * `safekeep` on the command line: parse the options, start a host, ask for a
 * job on a terminal if there is none, print where it listens, and stop
 * cleanly on SIGINT or SIGTERM. `safekeep replay FILE` replays a recording.
 */
async function main(): Promise<number> {
  // Loaded when asked for: a service's start does not pay for the code of `check` or `replay`.
  if (process.argv[2] === 'check') {
    const { checkCommand } = await import('./check-data-dir.ts');
    return checkCommand(process.argv.slice(3), invocationDir(), process.stdout, process.stderr);
  }
  if (process.argv[2] === 'replay') {
    const { replayCommand } = await import('./replay-command.ts');
    return replayCommand(process.argv.slice(3), process.stdout, process.stderr, invocationDir());
  }
  if (process.argv[2] === 'status' || process.argv[2] === 'versions') {
    const { serviceQueryCommand } = await import('./service-query-command.ts');
    return serviceQueryCommand(process.argv[2], process.argv.slice(3), invocationDir(), process.env, process.stdout, process.stderr);
  }
  const parsed = parseConfigured(process.argv.slice(2), invocationDir(), process.env);
  if (parsed.kind === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (parsed.kind === 'version') {
    process.stdout.write(`safekeep ${await packageVersion()}\n`);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`safekeep: ${parsed.message}\nRun with --help to see the options.\n`);
    return 2;
  }
  const { config } = parsed;
  // Said, because the data directory's safekeep.json is read without being named.
  if (parsed.configFile) process.stderr.write(`safekeep: settings from ${parsed.configFile}\n`);
  const folders = new Set<string>();
  for (const source of config.sources) if ((await warnIfNotAFileOrFolder(source)) === 'folder') folders.add(source);
  const fileJobs: BackupJobSpec[] = [];
  for (const job of parsed.jobs) fileJobs.push(configuredJobSpec(job, (await warnIfNotAFileOrFolder(job.sourcePath)) === 'folder'));
  const jobs = [...config.sources.map((sourcePath) => jobSpec(config, sourcePath, folders.has(sourcePath))), ...fileJobs];

  let host: Host;
  try {
    host = await startHost({
      dataDir: config.dataDir,
      ...(config.backupDir ? { backupDir: config.backupDir } : {}),
      ...(jobs.length > 0 ? { jobs } : {}),
      allowedPaths: config.allowedPaths,
      socket: {
        host: config.host,
        port: config.port,
        maxRequestBytes: config.maxRequestBytes,
        idleTimeoutMs: config.idleTimeoutMs,
        maxNestingDepth: config.maxNestingDepth,
        requestDeadlineMs: config.requestDeadlineMs,
        maxUnansweredRequests: config.maxUnansweredRequests,
        maxUnreadReplyBytes: config.maxUnreadReplyBytes,
        maxConnections: config.maxConnections,
      },
      shutdownGraceMs: config.shutdownGraceMs,
      log: config.log,
      ...(config.replyTo ? { replyTo: config.replyTo } : {}),
      ...(config.record ? { record: config.record } : {}),
      verifyIntervalMs: config.verifyIntervalMs,
      verifyCopies: config.verifyCopies,
      ...(config.checkpointLogBytes ? { checkpointLogBytes: config.checkpointLogBytes } : {}),
      notify: config.notify,
      ...(config.http ? { http: config.http } : {}),
      ...(config.cluster.cluster ? { cluster: config.cluster.cluster } : {}),
    });
  } catch (error) {
    process.stderr.write(`safekeep: ${describeError(error)}\n`);
    return 1;
  }
  stopOnSignals(host);

  if (host.jobs().every((job) => job.state === 'inactive') && process.stdin.isTTY) {
    const { askForJob } = await import('./ask-for-job.ts');
    const asked = await askForJob(process.stdin, process.stdout, invocationDir(), config.intervalMs);
    // The operator typed it at the terminal: configuration, like --source, so not held to --allow.
    if (asked) await host.addConfiguredJob({ ...asked, retention: config.retention });
  }
  if (host.httpAddress && !isLoopback(host.httpAddress.host)) {
    process.stderr.write(`safekeep: warning: the status page at ${httpUrl(host.httpAddress)} can be reached from other machines and asks for no login\n`);
  }
  process.stdout.write(`${startupLine(host.address, host.jobs(), host.options.backupDir, host.httpAddress)}\n`);
  return await new Promise<number>(() => {
    // Runs until a signal stops the host; stopOnSignals exits the process.
  });
}

/**
 * Where relative paths on the command line start from. Under `npm start` (or
 * `npm run replay`, `npm run check`) npm runs us in the package's folder and says in INIT_CWD
 * where the user typed the command: paths mean what they meant there. Only for
 * our own scripts: a process merely started from some other npm script (a test
 * run, an app's start) keeps its working directory.
 */
function invocationDir(): string {
  const { INIT_CWD, npm_package_name, npm_lifecycle_event } = process.env;
  const ownScript = npm_package_name === 'safekeep' && (npm_lifecycle_event === 'start' || npm_lifecycle_event === 'replay' || npm_lifecycle_event === 'check');
  return ownScript && INIT_CWD ? INIT_CWD : process.cwd();
}

/** `--exclude` applies to the folders among the sources given with it. */
function jobSpec(config: CliConfig, sourcePath: string, isFolder: boolean): BackupJobSpec {
  return {
    sourcePath,
    intervalMs: config.intervalMs ?? DEFAULT_INTERVAL_MS,
    retention: config.retention,
    ...(isFolder ? { excludes: config.excludes } : {}),
    ...(config.cluster.sharedSources ? { shared: true } : {}),
  };
}

/** A job from the config file's `jobs`; its excludes, like --exclude's, apply to a folder only. */
function configuredJobSpec(job: ConfiguredJob, isFolder: boolean): BackupJobSpec {
  return {
    sourcePath: job.sourcePath,
    intervalMs: job.intervalMs ?? DEFAULT_INTERVAL_MS,
    retention: job.retention,
    ...(isFolder ? { excludes: job.excludes } : {}),
    ...(job.shared ? { shared: true } : {}),
  };
}

function stopOnSignals(host: Host): void {
  let stoppingSince: number | null = null;
  const stop = (signal: NodeJS.Signals) => {
    if (stoppingSince !== null) {
      if (Date.now() - stoppingSince < REPEATED_SIGNAL_MS) return;
      process.stderr.write(`safekeep: ${signal} again, exiting at once\n`);
      process.exit(130);
    }
    stoppingSince = Date.now();
    process.stderr.write(`safekeep: ${signal}, stopping…\n`);
    host.stop(signal).then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`safekeep: stopping failed: ${describeError(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function warnIfNotAFileOrFolder(source: string): Promise<'file' | 'folder' | 'other'> {
  const kind = await stat(source).then((stats) => (stats.isFile() ? 'file' : stats.isDirectory() ? 'folder' : 'other'), () => 'other' as const);
  if (kind === 'other') process.stderr.write(`safekeep: warning: ${source} is not a file or folder (yet); its backups fail until it is\n`);
  return kind;
}

/** One line for a known failure, with its code for scripts and searches; a stack only for a bug. */
function describeError(error: unknown): string {
  if (error instanceof SafekeepError) return `${error.message} (code ${error.code})`;
  const osCode = systemErrorCode(error);
  if (osCode !== undefined && error instanceof Error) return `${error.message} (code ${osCode})`;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`safekeep: ${describeError(error)}\n`);
    process.exit(1);
  },
);
