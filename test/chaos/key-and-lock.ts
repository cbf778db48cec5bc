import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JsonClient } from '../helpers/json-client.ts';
import { SAFEKEEP_ARGV, spawnSafekeep, type SafekeepProcess } from '../helpers/safekeep-process.ts';
import type { ChaosRow } from './chaos-row.ts';

/** One line of the chaos table. */
export interface KeyAndLockOptions {
  /** Kills per step of the key-writing protocol (1 in `npm test`). */
  readonly scale: number;
}

const KEY_TEMP = 'service.key.new.safekeep-tmp';
const START_TIMEOUT_MS = 60_000;

/** Each step of writing the service key, as strace sees it: the syscall and the path (strace -P follows its fds too). */
const STEPS = [
  { name: 'openat of the temp', syscall: 'openat', target: (keys: string) => path.join(keys, KEY_TEMP) },
  { name: 'write', syscall: 'write', target: (keys: string) => path.join(keys, KEY_TEMP) },
  { name: 'fsync of the temp', syscall: 'fsync', target: (keys: string) => path.join(keys, KEY_TEMP) },
  { name: 'rename', syscall: 'rename', target: (keys: string) => path.join(keys, KEY_TEMP) },
  { name: 'directory fsync', syscall: 'fsync', target: (keys: string) => keys },
] as const;

/**
 * Kills a real safekeep with SIGKILL at each syscall of its first start's
 * key-writing protocol (strace `-e inject=SYSCALL:signal=SIGKILL`, aimed by
 * path), then starts it again as a user would, without touching the lock, and
 * checks: the start works, the key is 32 bytes and no temp file is left, a
 * write acknowledged after it survives a further restart, and the key is the
 * same on that restart. strace writes its trace to /dev/null: it would show
 * the key's bytes.
 */
export async function runKeyAndLockExperiments({ scale }: KeyAndLockOptions): Promise<ChaosRow[]> {
  if (!(await installed('strace'))) {
    return STEPS.map((step) => ({ ...emptyRow(`key write: kill at ${step.name}`), skipped: 'strace is not installed (apt-get install strace)' }));
  }
  const rows: ChaosRow[] = [];
  for (const step of STEPS) {
    const row = { ...emptyRow(`key write: kill at ${step.name}`), notes: [] as string[] };
    for (let round = 0; round < scale; round++) {
      const work = await mkdtemp(path.join(tmpdir(), 'safekeep-chaos-key-'));
      try {
        await killAtStepThenRestart(work, step, round, row);
      } catch (error) {
        row.crashes++;
        row.notes.push(`round ${round}: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    }
    rows.push({ ...row, notes: row.notes.length > 0 ? row.notes.join('; ') : `killed ${row.faultsInjected}×, every restart clean` });
  }
  return rows;
}

/** Whether `command -V` runs (stdin closed: nothing is written to a process that may already be gone). */
function installed(command: string): Promise<boolean> {
  return new Promise((resolve) => execFile(command, ['-V'], { timeout: 10_000 }, (error) => resolve(error === null)));
}

interface MutableRow {
  faultsInjected: number;
  requestsSent: number;
  ackedWritesLost: number;
  partialRegistered: number;
  crashes: number;
  notes: string[];
}

function emptyRow(experiment: string) {
  return { experiment, faultsInjected: 0, requestsSent: 0, ackedWritesLost: 0, partialRegistered: 0, crashes: 0, notes: '' };
}

async function killAtStepThenRestart(work: string, step: (typeof STEPS)[number], round: number, row: MutableRow): Promise<void> {
  const dataDir = path.join(work, 'data');
  const keys = path.join(dataDir, 'keys');
  const injected = await runUnderStrace(work, dataDir, step.syscall, step.target(keys));
  if (injected) row.faultsInjected++;
  else row.notes.push(`round ${round}: the fault was not injected (the start went past ${step.name})`);

  // Restart as a user would: no unlock, no cleanup.
  const first = await startAndListen(dataDir, work);
  let key: Buffer;
  const username = `chaos-${round}`;
  let acked: boolean;
  try {
    key = await readFile(path.join(keys, 'service.key'));
    if (key.length !== 32) row.partialRegistered++;
    if ((await readdir(keys)).some((name) => name !== 'service.key')) row.partialRegistered++;
    const client = await JsonClient.connect(await first.port());
    row.requestsSent++;
    const reply = await client.call({ type: 'user.register', username, masterPassword: 'chaos master password 1' });
    acked = reply.ok === true;
    client.close();
  } finally {
    await stopCleanly(first);
  }

  const second = await startAndListen(dataDir, work);
  try {
    if (!(await readFile(path.join(keys, 'service.key'))).equals(key)) {
      row.partialRegistered++;
      row.notes.push(`round ${round}: the key changed on a later restart`);
    }
    const client = await JsonClient.connect(await second.port());
    row.requestsSent++;
    const reply = await client.call({ type: 'users.list' });
    client.close();
    const users = (reply.result as { users?: { username: string }[] } | undefined)?.users ?? [];
    if (acked && !users.some((user) => user.username === username)) row.ackedWritesLost++;
  } finally {
    await stopCleanly(second);
  }
}

/** Runs a first start under strace that kills it at the first `syscall` on `target`; true if it died of that. */
async function runUnderStrace(cwd: string, dataDir: string, syscall: string, target: string): Promise<boolean> {
  const args = ['-f', '-qq', '-o', '/dev/null', '-e', `trace=${syscall}`, '-e', `inject=${syscall}:signal=SIGKILL:when=1`, '-P', target];
  const child = spawn('strace', [...args, process.execPath, ...SAFEKEEP_ARGV, '--data-dir', dataDir, '--port', '0'], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    out += text;
    // Started without meeting the fault: stop it, and report the fault as not injected.
    if (out.includes('listening on')) child.kill('SIGKILL');
  });
  child.stderr.resume();
  const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
  await new Promise((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  // strace exits as its tracee did: killed by SIGKILL before it ever listened.
  return !out.includes('listening on') && (await stat(dataDir).then(() => true, () => false));
}

async function startAndListen(dataDir: string, cwd: string): Promise<SafekeepProcess> {
  const child = spawnSafekeep(['--data-dir', dataDir, '--port', '0'], cwd);
  const timer = setTimeout(() => void child.stop('SIGKILL'), START_TIMEOUT_MS);
  try {
    await child.port();
    return child;
  } catch (error) {
    throw new Error(`the restart failed: ${child.stderr.trim() || (error instanceof Error ? error.message : String(error))}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

async function stopCleanly(child: SafekeepProcess): Promise<void> {
  const exit = await child.stop('SIGTERM');
  if (exit.code !== 0) throw new Error(`safekeep exited ${exit.code ?? exit.signal} on SIGTERM: ${child.stderr.trim()}`);
}
