#!/usr/bin/env node
import { stat } from 'node:fs/promises';
import { SafekeepError } from '../errors/safekeep-error.ts';
import { startHost, type Host } from '../host/host.ts';
import type { BackupJobSpec } from '../backup/job.ts';
import { askForJob } from './ask-for-job.ts';
import { replayCommand } from './replay-command.ts';
import { DEFAULT_INTERVAL_MS, HELP, parseCli, type CliConfig } from './cli-options.ts';
import { startupLine } from './startup-line.ts';

/**
 * `safekeep` on the command line: parse the options, start a host, ask for a
 * job on a terminal if there is none, print where it listens, and stop
 * cleanly on SIGINT or SIGTERM. `safekeep replay FILE` replays a recording.
 */
async function main(): Promise<number> {
  if (process.argv[2] === 'replay') return replayCommand(process.argv.slice(3), process.stdout, process.stderr);
  const parsed = parseCli(process.argv.slice(2), process.cwd());
  if (parsed.kind === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (parsed.kind === 'error') {
    process.stderr.write(`safekeep: ${parsed.message}\nRun with --help to see the options.\n`);
    return 2;
  }
  const { config } = parsed;
  for (const source of config.sources) await warnIfNotAFile(source);

  let host: Host;
  try {
    host = await startHost({
      dataDir: config.dataDir,
      ...(config.backupDir ? { backupDir: config.backupDir } : {}),
      ...(config.sources.length > 0 ? { jobs: config.sources.map((sourcePath) => jobSpec(config, sourcePath)) } : {}),
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
      console: { out: process.stderr, verbose: config.verbose },
      ...(config.replyTo ? { replyTo: config.replyTo } : {}),
      ...(config.record ? { record: config.record } : {}),
    });
  } catch (error) {
    process.stderr.write(`safekeep: ${describeError(error)}\n`);
    return 1;
  }
  stopOnSignals(host);

  if (host.jobs().every((job) => job.state === 'inactive') && process.stdin.isTTY) {
    const asked = await askForJob(process.stdin, process.stdout, process.cwd(), config.intervalMs);
    if (asked) await host.addJob({ ...asked, keep: config.keep });
  }
  process.stdout.write(`${startupLine(host.address, host.jobs(), host.options.backupDir)}\n`);
  return await new Promise<number>(() => {
    // Runs until a signal stops the host; stopOnSignals exits the process.
  });
}

function jobSpec(config: CliConfig, sourcePath: string): BackupJobSpec {
  return { sourcePath, intervalMs: config.intervalMs ?? DEFAULT_INTERVAL_MS, keep: config.keep };
}

function stopOnSignals(host: Host): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      process.stderr.write(`safekeep: ${signal} again, exiting at once\n`);
      process.exit(130);
    }
    stopping = true;
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

async function warnIfNotAFile(source: string): Promise<void> {
  const isFile = await stat(source).then((stats) => stats.isFile(), () => false);
  if (!isFile) process.stderr.write(`safekeep: warning: ${source} is not a file (yet); its backups fail until it is\n`);
}

function describeError(error: unknown): string {
  if (error instanceof SafekeepError) return error.message;
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`safekeep: ${describeError(error)}\n`);
    process.exit(1);
  },
);
