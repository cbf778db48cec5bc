import { spawn } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LowdbStore } from '../adapters/store/lowdb-store.ts';
import { BackupCatalog } from '../src/backup/catalog.ts';
import { BackupService } from '../src/backup/backup-service.ts';
import { copyVersion } from '../src/backup/copy-version.ts';
import { localBackupFiles } from '../src/backup/local-backup-files.ts';
import { Bus } from '../src/bus/bus.ts';
import { systemClock } from '../src/clock/clock.ts';
import { fsyncDirectory } from '../src/fs/fsync-directory.ts';
import { sequentialIds } from '../src/ids/ids.ts';
import { StoreClient } from '../src/store/store-client.ts';

/**
 * One 512 MiB file of new data, backed up: safekeep's copyVersion (copy +
 * SHA-256 + fsync + rename + fsync dir) against the physical limit, which is
 * the slower of two baselines measured in the same run on the same disk:
 * `cp` followed by an fsync of the copy and of its folder (the durability
 * safekeep gives; a global `sync` would also flush other processes' writes),
 * and one SHA-256 pass over the file in Node (reads overlapped with hashing).
 * The steps alternate, round after round, and medians are printed.
 * Bar: limit / safekeep ≥ 0.9.
 *
 * Page cache: warm by default (the source was just written and stays cached,
 * as a file being edited is; every side reads it from memory). With `--cold`
 * the bench drops the page cache before every timed step (needs root).
 *
 * Then an unchanged file: the p95 service time of BackupService.run over many
 * runs (bar < 1 ms), and the bytes it writes (bar 0): /proc/self/io's
 * write_bytes (pages this process dirtied, store included) and the files in
 * the data folder.
 *
 * Usage: bench/backup-copy.bench.ts [rounds=5] [--cold] [--mib N]
 */
const args = process.argv.slice(2);
const cold = args.includes('--cold');
const mibIndex = args.indexOf('--mib');
const MIB = mibIndex >= 0 ? Number(args[mibIndex + 1]) : 512;
const ROUNDS = Number(args.find((arg, index) => /^\d+$/.test(arg) && args[index - 1] !== '--mib') ?? 5);
const UNCHANGED_RUNS = 2000;
const HASH_CHUNK = 4 * 1024 * 1024;

const root = await mkdtemp(path.join(tmpdir(), 'safekeep-bench-copy-'));
const sourcePath = path.join(root, 'source.bin');

try {
  await writeRandomFile(sourcePath, MIB);
  const rows = new Map<string, number[]>();
  const time = async (label: string, step: (round: number) => Promise<void>, round: number) => {
    if (cold) dropCaches();
    const started = performance.now();
    await step(round);
    const list = rows.get(label) ?? [];
    list.push(performance.now() - started);
    rows.set(label, list);
  };
  const steps: [string, (round: number) => Promise<void>][] = [
    ['cp + fsync', (round) => cpAndFsync(sourcePath, path.join(root, `cp-${round}.bin`))],
    ['SHA-256 pass (Node)', async () => void (await hashPass(sourcePath))],
    ['safekeep copyVersion', (round) => safekeepCopy(round, false)],
    ['safekeep, --verify-copies', (round) => safekeepCopy(round, true)],
  ];
  await hashPass(sourcePath); // warm-up: JIT, and the source into the page cache
  for (let round = 0; round < ROUNDS; round++) {
    // A different order each round, so no side always runs just after another's writeback.
    for (let index = 0; index < steps.length; index++) {
      const [label, step] = steps[(index + round) % steps.length] as (typeof steps)[number];
      await time(label, step, round);
      await rm(path.join(root, 'out'), { recursive: true, force: true });
      await rm(path.join(root, `cp-${round}.bin`), { force: true });
    }
  }

  const medians = new Map([...rows].map(([label, list]) => [label, median(list)]));
  const cp = medians.get('cp + fsync') as number;
  const hash = medians.get('SHA-256 pass (Node)') as number;
  const limit = Math.max(cp, hash);
  const safekeep = medians.get('safekeep copyVersion') as number;
  const verified = medians.get('safekeep, --verify-copies') as number;
  console.log(`backup copy, one ${MIB} MiB file of new data, ${describeDisk(root)}, page cache ${cold ? 'dropped before each step' : 'warm'} (median of ${ROUNDS})`);
  for (const [label, ms] of medians) console.log(`  ${label.padEnd(30)} ${(ms / 1000).toFixed(3)} s  ${rate(ms)}`);
  console.log(`  physical limit (slower of the two baselines: ${cp >= hash ? 'cp + fsync' : 'SHA-256'})  ${(limit / 1000).toFixed(3)} s`);
  console.log(`  limit / safekeep               ${(limit / safekeep).toFixed(2)} (bar ≥ 0.9: ${limit / safekeep >= 0.9 ? 'met' : 'NOT met'})`);
  console.log(`  limit / safekeep with read-back ${(limit / verified).toFixed(2)} (optional, off by default)`);

  const unchanged = await unchangedRuns();
  console.log(`backup of an unchanged ${MIB} MiB file, BackupService.run (${UNCHANGED_RUNS} runs)`);
  console.log(`  p50 ${unchanged.p50.toFixed(3)} ms, p95 ${unchanged.p95.toFixed(3)} ms (bar < 1 ms: ${unchanged.p95 < 1 ? 'met' : 'NOT met'})`);
  console.log(`  bytes written to storage ${unchanged.written} (/proc/self/io write_bytes; bar 0: ${unchanged.written === 0 ? 'met' : 'NOT met'}), files created ${unchanged.filesCreated}`);
  // wchar/rchar also count libuv's 8-byte eventfd wake-ups, one per thread-pool call (the two stats).
  console.log(`  syscall bytes per run: ${(unchanged.wchar / UNCHANGED_RUNS).toFixed(0)} written, ${(unchanged.rchar / UNCHANGED_RUNS).toFixed(0)} read (wchar/rchar: the thread pool's eventfd wake-ups)`);
} finally {
  await rm(root, { recursive: true, force: true });
}

async function safekeepCopy(round: number, verify: boolean): Promise<void> {
  const result = await copyVersion({
    sourcePath,
    destinationDir: path.join(root, 'out'),
    fileName: `v${round}.bin`,
    tempId: `t${round}`,
    newest: null,
    verify,
  });
  if (result.kind !== 'copied') throw new Error('expected a copy');
}

async function writeRandomFile(filePath: string, mib: number): Promise<void> {
  const file = await open(filePath, 'w');
  const chunk = Buffer.allocUnsafe(1024 * 1024);
  for (let index = 0; index < mib; index++) {
    randomFillSync(chunk);
    await file.write(chunk);
  }
  await file.sync();
  await file.close();
}

async function cpAndFsync(from: string, to: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('cp', [from, to], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`cp exited with ${code}`))));
  });
  const copy = await open(to, 'r');
  await copy.sync();
  await copy.close();
  await fsyncDirectory(path.dirname(to));
}

/** The fastest plain SHA-256 pass in Node: the next read is in flight while a chunk is hashed. */
async function hashPass(filePath: string): Promise<string> {
  const file = await open(filePath, 'r');
  try {
    const hash = createHash('sha256');
    const buffers = [Buffer.allocUnsafe(HASH_CHUNK), Buffer.allocUnsafe(HASH_CHUNK)];
    let position = 0;
    let reading = file.read(buffers[0] as Buffer, 0, HASH_CHUNK, 0);
    for (let turn = 0; ; turn++) {
      const { bytesRead, buffer } = await reading;
      if (bytesRead === 0) break;
      position += bytesRead;
      reading = file.read(buffers[(turn + 1) % 2] as Buffer, 0, HASH_CHUNK, position);
      hash.update(buffer.subarray(0, bytesRead));
    }
    return hash.digest('hex');
  } finally {
    await file.close();
  }
}

async function unchangedRuns(): Promise<{ p50: number; p95: number; written: number; filesCreated: number; wchar: number; rchar: number }> {
  const dataDir = path.join(root, 'data');
  const bus = new Bus();
  const ids = sequentialIds();
  const store = new LowdbStore({ dataDir, ids });
  await store.start(bus);
  const client = new StoreClient(bus, ids);
  const service = new BackupService({ catalog: new BackupCatalog(client), bus, clock: systemClock, ids, backupDir: path.join(dataDir, 'backups'), files: localBackupFiles });
  await service.load();
  const job = await service.upsertJob({ sourcePath, intervalMs: 60_000 });
  const first = await service.run(job.id);
  if (!first.ok || first.kind !== 'copied') throw new Error('the first run should copy');
  for (let index = 0; index < 100; index++) await service.run(job.id); // warm-up
  const filesBefore = (await readdir(dataDir, { recursive: true })).length;
  const before = processIo();
  const times: number[] = [];
  for (let index = 0; index < UNCHANGED_RUNS; index++) {
    const started = performance.now();
    const outcome = await service.run(job.id);
    times.push(performance.now() - started);
    if (!outcome.ok || outcome.kind !== 'unchanged') throw new Error('expected an unchanged run');
  }
  const after = processIo();
  const filesAfter = (await readdir(dataDir, { recursive: true })).length;
  client.dispose();
  await store.stop();
  times.sort((a, b) => a - b);
  return {
    p50: times[Math.floor(times.length * 0.5)] as number,
    p95: times[Math.floor(times.length * 0.95)] as number,
    written: after.write_bytes - before.write_bytes,
    filesCreated: filesAfter - filesBefore,
    wchar: after.wchar - before.wchar,
    rchar: after.rchar - before.rchar,
  };
}

function processIo(): { rchar: number; wchar: number; write_bytes: number } {
  const fields = Object.fromEntries(
    readFileSync('/proc/self/io', 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(': ') as [string, string]),
  );
  return { rchar: Number(fields.rchar), wchar: Number(fields.wchar), write_bytes: Number(fields.write_bytes) };
}

function dropCaches(): void {
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
  } catch (error) {
    throw new Error('--cold needs root (writing /proc/sys/vm/drop_caches)', { cause: error });
  }
}

/** The file system that holds `directory`: its longest mount point prefix in /proc/mounts. */
function describeDisk(directory: string): string {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(' '))
    .filter(([, mountPoint]) => mountPoint !== undefined && (directory === mountPoint || directory.startsWith(mountPoint === '/' ? '/' : `${mountPoint}/`)))
    .sort((a, b) => (b[1] as string).length - (a[1] as string).length);
  const [device, mountPoint, type] = mounts[0] ?? ['?', '?', '?'];
  return `${directory} on ${device} (${type}, mounted at ${mountPoint})`;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function rate(ms: number): string {
  return `(${(MIB / 1024 / (ms / 1000)).toFixed(2)} GiB/s)`;
}
