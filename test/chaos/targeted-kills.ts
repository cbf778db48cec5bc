import { spawnSync } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { TEMP_FILE_PREFIX } from '../../src/backup/version-name.ts';
import { checkAfterRestart } from './after-restart.ts';
import { CHILD_COMMAND, ChaosProcess } from './chaos-process.ts';
import { mutate, newRow, note, sha256Of, writeRandomFile, type ExperimentRow } from './chaos-support.ts';

/** A step of the copy protocol, where strace kills the process: on entry to the first matching system call. */
interface Step {
  readonly name: string;
  readonly syscalls: string;
  /**
   * The paths the call must touch (`strace -P`): by name or through a
   * descriptor. strace 6 matches a rename by its first (old) path only.
   */
  readonly paths: (paths: { temp: string; jobDir: string; storeLog: string }) => readonly string[];
  /** Whether the new version is expected to survive (adopted at the restart) or to be gone. */
  readonly newVersionKept: boolean;
}

const STEPS: readonly Step[] = [
  { name: 'openat of the temp copy', syscalls: 'open,openat', paths: (p) => [p.temp], newVersionKept: false },
  // The kernel's copy (copy_file_range, or sendfile where libuv falls back to it) is the write to the temp copy.
  { name: 'first write to the temp copy', syscalls: 'write,pwrite64,writev,pwritev,copy_file_range,sendfile', paths: (p) => [p.temp], newVersionKept: false },
  { name: 'fsync of the temp copy', syscalls: 'fsync,fdatasync', paths: (p) => [p.temp], newVersionKept: false },
  { name: 'rename into place', syscalls: 'rename,renameat,renameat2', paths: (p) => [p.temp], newVersionKept: false },
  { name: 'fsync of the job folder', syscalls: 'fsync,fdatasync', paths: (p) => [p.jobDir], newVersionKept: true },
  // Catalog writes are appends to the store's write-ahead log, durable (and acknowledged) at their fdatasync. strace
  // counts calls per thread, and libuv's pool threads take turns, so only a thread's first call can be aimed at: the
  // run's first record (the job's state, before the copy). Killed at its write or its fdatasync, v1 must be intact
  // and the run not yet copied.
  { name: 'store log append (write)', syscalls: 'write,pwrite64,writev,pwritev', paths: (p) => [p.storeLog], newVersionKept: false },
  { name: 'store log append (fdatasync)', syscalls: 'fsync,fdatasync', paths: (p) => [p.storeLog], newVersionKept: false },
];

export function straceAvailable(): boolean {
  return spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
}

/**
 * (b) One kill at each step of the copy protocol, with `strace -f -P PATH -e
 * inject=SYSCALLS:signal=SIGKILL:when=1`: the process dies on entry to the
 * first such call touching that path, before it takes effect. Each time the
 * host has one version and is copying a changed source as the second.
 */
export async function runTargetedKills(dir: string, log: (line: string) => void): Promise<ExperimentRow[]> {
  if (!straceAvailable()) {
    const row = newRow('kills at each copy step (strace)');
    note(row, 'skipped: strace is not installed (apt-get install strace); not counted as passed');
    return [row];
  }
  const rows: ExperimentRow[] = [];
  for (const [index, step] of STEPS.entries()) {
    rows.push(await killAt(path.join(dir, `step-${index + 1}`), step));
    log(`(b) ${step.name}: ${rows.at(-1)?.notes}`);
  }
  return rows;
}

async function killAt(dir: string, step: Step): Promise<ExperimentRow> {
  const row = newRow(`kill at ${step.name} (strace)`);
  const dataDir = path.join(dir, 'safekeep-data');
  const jobDir = path.join(dataDir, 'backups', 'data.bin');
  const source = path.join(dir, 'data.bin');
  await mkdir(dir, { recursive: true });
  await writeRandomFile(source, 4 * 1024 * 1024);
  const v1 = await sha256Of(source);
  const child = (intervalMs: number, wrapper: readonly string[] = []) =>
    new ChaosProcess([dataDir, source, String(intervalMs)], dir, { command: CHILD_COMMAND, wrapper });

  const first = child(3_600_000);
  if (!(await first.waitFor('stderr', /\[data\.bin\] done/))) {
    row.crashes++;
    note(row, `the first backup did not finish: ${first.stderr.trim()}`);
    await first.kill9();
    return row;
  }
  await first.stop();
  const v2 = await mutate(source);

  // The first copy of a process gets the id chaos-1; a stopped store leaves one (empty) log segment, the next one appends to it.
  const temp = path.join(jobDir, `${TEMP_FILE_PREFIX}chaos-1`);
  const logDir = path.join(dataDir, 'store', 'log');
  const storeLog = path.join(logDir, (await readdir(logDir)).sort().at(-1) ?? 'missing.log');
  const targets = step.paths({ temp, jobDir, storeLog }).flatMap((target) => ['-P', target]);
  const traced = child(1_000, ['strace', '-f', '-qq', '-o', '/dev/null', ...targets, '-e', `trace=${step.syscalls}`, '-e', `inject=${step.syscalls}:signal=SIGKILL:when=1`]);
  const killed = await Promise.race([traced.exited, new Promise<null>((resolve) => setTimeout(() => resolve(null), 60_000).unref())]);
  if (killed === null || (killed.signal !== 'SIGKILL' && killed.code !== 137)) {
    note(row, `the injection did not fire (${killed ? `exit ${killed.code ?? killed.signal}` : 'still running'}); not counted as passed`);
    await traced.kill9();
    return row;
  }
  row.faultsInjected++;
  const left = await readdir(jobDir).catch(() => [] as string[]);
  note(row, `left on disk: ${left.filter((name) => name.startsWith(TEMP_FILE_PREFIX)).length} temp, ${left.filter((name) => !name.startsWith(TEMP_FILE_PREFIX)).length} version files`);

  const restarted = child(86_400_000);
  const port = await restarted.port();
  if (port === null) {
    row.crashes++;
    note(row, `the restart failed: ${restarted.stderr.trim().split('\n').pop() ?? ''}`);
    await restarted.kill9();
    return row;
  }
  const audit = await checkAfterRestart({ row, dataDir, jobDir, port, acked: new Set([v1]), states: new Set([v1, v2]) });
  const kept = audit.checks.some((check) => !check.damaged && check.actualSha256 === v2);
  if (kept !== step.newVersionKept) note(row, `unexpected: the new version was ${kept ? 'kept' : 'not kept'}`);
  const cleaned = restarted.stderr.match(/catalog: [^\n]*/)?.[0];
  note(row, cleaned ? `restart: ${cleaned}` : 'restart: nothing to clean');
  const exit = await restarted.stop();
  if (exit.code !== 0) {
    row.crashes++;
    note(row, `stopping exited with ${exit.code ?? exit.signal}`);
  }
  return row;
}

