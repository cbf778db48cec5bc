/**
 * Directory snapshots of a 10,000-file tree (nested folders; mostly small
 * files, some medium, a few of up to 1 MiB, like a source tree or a home
 * folder), side by side in one run, medians of ROUNDS:
 * - first snapshot (a fresh backup folder each round),
 * - unchanged snapshot (nothing changed since the last),
 * - one changed file (a 1 MiB file rewritten before each round),
 * for safekeep (`snapshotDirectory` in this process, as the running service
 * does it: no process start), `restic backup` (a local repository,
 * RESTIC_PASSWORD set, its default cache kept in the bench's temp folder, a
 * process per backup) and `rsnapshot` (a generated config, `link_dest 1`,
 * a process per snapshot). A peer that is not installed is skipped and said so.
 * The tools take their rounds in turn, so a busy moment of a shared machine
 * falls on all of them alike.
 *
 * Bytes written: for every tool, the growth of the backup folder's disk
 * usage (`du -s -B1`, hard links counted once); for safekeep also the
 * write_bytes of this process from /proc/self/io (data it dirtied; file
 * system metadata such as folder blocks and inodes is written by the
 * kernel's journal and not counted there).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { snapshotDirectory, type SnapshotResult } from '../src/backup/snapshot-directory.ts';
import { manifestPathOf } from '../src/backup/snapshot-manifest.ts';

const FILES = 10_000;
const ROUNDS = 5;
const CHANGED = 'changing/one-mebibyte.bin';
const CHANGED_BYTES = 1024 * 1024;

/** What a safekeep snapshot writes besides changed files: its manifest, and one block per folder of the new tree. */
const overhead = { manifestBytes: 0, folders: 0 };

interface Figures {
  first: number[];
  unchanged: number[];
  changed: number[];
  changedDiskBytes: number[];
  changedWriteBytes: number[];
}

const emptyFigures = (): Figures => ({ first: [], unchanged: [], changed: [], changedDiskBytes: [], changedWriteBytes: [] });

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function makeTree(root: string): Promise<number> {
  const random = seeded(42);
  let total = 0;
  for (let index = 0; index < FILES - 1; index++) {
    const dir = `d${index % 20}/s${index % 7}/t${index % 3}`;
    const roll = random();
    const size = roll < 0.75 ? 256 + Math.floor(random() * 8 * 1024) : roll < 0.99 ? 8 * 1024 + Math.floor(random() * 56 * 1024) : 256 * 1024 + Math.floor(random() * 768 * 1024);
    await mkdir(path.join(root, dir), { recursive: true });
    await writeFile(path.join(root, dir, `file-${index}.dat`), randomBytes(size));
    total += size;
  }
  await mkdir(path.join(root, path.dirname(CHANGED)), { recursive: true });
  await writeFile(path.join(root, CHANGED), randomBytes(CHANGED_BYTES));
  return total + CHANGED_BYTES;
}

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;

function diskUsage(folder: string): number {
  return Number(execFileSync('du', ['-s', '-B1', folder], { encoding: 'utf8' }).split(/\s/)[0]);
}

async function writeBytes(): Promise<number> {
  const io = await readFile('/proc/self/io', 'utf8').catch(() => '');
  return Number(/^write_bytes:\s*(\d+)/m.exec(io)?.[1] ?? NaN);
}

function installed(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}

function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  const started = performance.now();
  const result = spawnSync(command, args, { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  return performance.now() - started;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}

/** One tool under test: each call is one timed run; `changed` follows a write of the one changed file. */
interface Tool {
  first(round: number): Promise<number>;
  unchanged(): Promise<number>;
  changed(): Promise<{ readonly ms: number; readonly diskBytes: number; readonly writeBytes?: number }>;
}

let counter = 0;
function safekeepTool(source: string, work: string): Tool {
  const snap = (destination: string, previous: Extract<SnapshotResult, { kind: 'copied' }> | null) =>
    snapshotDirectory({ sourcePath: source, destinationDir: destination, snapshotName: `snap-${++counter}`, tempId: `t${counter}`, excludes: [], previous: previous && { path: previous.path, sha256: previous.sha256 } });
  let last: Extract<SnapshotResult, { kind: 'copied' }> | null = null;
  let destination = '';
  return {
    async first(round) {
      destination = path.join(work, `safekeep-${round}`);
      let result: SnapshotResult | undefined;
      const ms = await timed(async () => (result = await snap(destination, null)));
      last = result as Extract<SnapshotResult, { kind: 'copied' }>;
      return ms;
    },
    async unchanged() {
      let result: SnapshotResult | undefined;
      const ms = await timed(async () => (result = await snap(destination, last)));
      if (result?.kind !== 'unchanged') throw new Error('safekeep: the unchanged snapshot was not unchanged');
      return ms;
    },
    async changed() {
      const disk = diskUsage(destination);
      const written = await writeBytes();
      let result: SnapshotResult | undefined;
      const ms = await timed(async () => (result = await snap(destination, last)));
      const writeBytesDelta = (await writeBytes()) - written;
      if (result?.kind !== 'copied' || result.filesCopied !== 1) throw new Error('safekeep: one changed file was not one copied file');
      last = result;
      overhead.manifestBytes = (await stat(manifestPathOf(result.path))).size;
      overhead.folders = Number(execFileSync('find', [result.path, '-type', 'd'], { encoding: 'utf8' }).trim().split('\n').length);
      return { ms, diskBytes: diskUsage(destination) - disk, writeBytes: writeBytesDelta };
    },
  };
}

function resticTool(source: string, work: string): Tool {
  const env = { ...process.env, RESTIC_PASSWORD: 'bench', RESTIC_CACHE_DIR: path.join(work, 'restic-cache') };
  let repo = '';
  const backup = () => run('restic', ['-q', '-r', repo, 'backup', source], env);
  return {
    async first(round) {
      repo = path.join(work, `restic-${round}`);
      run('restic', ['-q', '-r', repo, 'init'], env);
      return backup();
    },
    async unchanged() {
      return backup();
    },
    async changed() {
      const disk = diskUsage(repo);
      const ms = backup();
      return { ms, diskBytes: diskUsage(repo) - disk };
    },
  };
}

function rsnapshotTool(source: string, work: string): Tool {
  const rsync = execFileSync('sh', ['-c', 'command -v rsync'], { encoding: 'utf8' }).trim();
  let root = '';
  let config = '';
  const snapshot = () => run('rsnapshot', ['-c', config, 'alpha']);
  return {
    async first(round) {
      root = path.join(work, `rsnapshot-${round}`);
      config = path.join(root, 'rsnapshot.conf');
      await mkdir(root, { recursive: true });
      // rsnapshot wants tabs between fields and a slash after folders.
      const lines = [
        ['config_version', '1.2'],
        ['snapshot_root', `${path.join(root, 'snapshots')}/`],
        ['cmd_cp', '/bin/cp'],
        ['cmd_rm', '/bin/rm'],
        ['cmd_rsync', rsync],
        ['link_dest', '1'],
        ['lockfile', path.join(root, 'rsnapshot.pid')],
        ['retain', 'alpha', '100'],
        ['backup', `${source}/`, 'tree/'],
      ];
      await writeFile(config, `${lines.map((fields) => fields.join('\t')).join('\n')}\n`);
      return snapshot();
    },
    async unchanged() {
      return snapshot();
    },
    async changed() {
      const disk = diskUsage(path.join(root, 'snapshots'));
      const ms = snapshot();
      return { ms, diskBytes: diskUsage(path.join(root, 'snapshots')) - disk };
    },
  };
}

/** Every tool's rounds taken in turn (safekeep, restic, rsnapshot, safekeep…), so a busy moment of the machine falls on all of them alike. */
async function interleaved(source: string, tools: readonly [string, Tool][]): Promise<Map<string, Figures>> {
  const figures = new Map(tools.map(([name]) => [name, emptyFigures()]));
  const of = (name: string) => figures.get(name) as Figures;
  for (let round = 0; round < ROUNDS; round++) for (const [name, tool] of tools) of(name).first.push(await tool.first(round));
  for (let round = 0; round < ROUNDS; round++) for (const [name, tool] of tools) of(name).unchanged.push(await tool.unchanged());
  for (let round = 0; round < ROUNDS; round++) {
    await writeFile(path.join(source, CHANGED), randomBytes(CHANGED_BYTES));
    for (const [name, tool] of tools) {
      const changed = await tool.changed();
      of(name).changed.push(changed.ms);
      of(name).changedDiskBytes.push(changed.diskBytes);
      if (changed.writeBytes !== undefined) of(name).changedWriteBytes.push(changed.writeBytes);
    }
  }
  return figures;
}

const work = await mkdtemp(path.join(tmpdir(), 'safekeep-bench-tree-'));
try {
  const source = path.join(work, 'tree');
  const total = await makeTree(source);
  console.log(`directory snapshot: ${FILES} files in nested folders, ${(total / 1024 / 1024).toFixed(0)} MiB; medians of ${ROUNDS}; one changed file = ${CHANGED_BYTES} bytes`);
  const tools: [string, Tool | string][] = [
    ['safekeep', safekeepTool(source, work)],
    ['restic', installed('restic') ? resticTool(source, work) : 'skipped: restic not installed'],
    ['rsnapshot', installed('rsnapshot') && installed('rsync') ? rsnapshotTool(source, work) : 'skipped: rsnapshot not installed'],
  ];
  const figures = await interleaved(source, tools.filter((entry): entry is [string, Tool] => typeof entry[1] !== 'string'));
  const results: [string, Figures | string][] = tools.map(([name, tool]) => [name, typeof tool === 'string' ? tool : (figures.get(name) as Figures)]);

  const ms = (value: number) => `${value.toFixed(0)} ms`.padStart(10);
  const mib = (value: number) => (Number.isNaN(value) ? '—' : `${(value / 1024 / 1024).toFixed(2)} MiB`).padStart(11);
  console.log(`  ${'tool'.padEnd(10)} ${'first'.padStart(10)} ${'unchanged'.padStart(10)} ${'1 changed'.padStart(10)} ${'disk +'.padStart(11)} ${'write_bytes'.padStart(11)}`);
  for (const [tool, figures] of results) {
    if (typeof figures === 'string') {
      console.log(`  ${tool.padEnd(10)} ${figures}`);
      continue;
    }
    console.log(
      `  ${tool.padEnd(10)} ${ms(median(figures.first))} ${ms(median(figures.unchanged))} ${ms(median(figures.changed))} ${mib(median(figures.changedDiskBytes))} ${mib(figures.changedWriteBytes.length > 0 ? median(figures.changedWriteBytes) : NaN)}`,
    );
  }
  const ours = results[0]?.[1] as Figures;
  for (const [tool, figures] of results.slice(1)) {
    if (typeof figures === 'string') continue;
    console.log(
      `  vs ${tool}: unchanged ${(median(figures.unchanged) / median(ours.unchanged)).toFixed(1)}× faster, first ${(median(figures.first) / median(ours.first)).toFixed(1)}×, one changed ${(median(figures.changed) / median(ours.changed)).toFixed(1)}×`,
    );
  }
  console.log(
    `  one changed file: safekeep wrote ${(median(ours.changedWriteBytes) / CHANGED_BYTES).toFixed(2)}× the file (write_bytes), its backup folder grew ${(median(ours.changedDiskBytes) / CHANGED_BYTES).toFixed(2)}× the file (du)`,
  );
  console.log(
    `  the rest is the snapshot itself: its manifest ${(overhead.manifestBytes / 1024 / 1024).toFixed(2)} MiB (gzipped; ~${Math.round(overhead.manifestBytes / FILES)} B per entry, mostly the SHA-256s) and ${overhead.folders} folders (a block each: ~${((overhead.folders * 4096) / 1024 / 1024).toFixed(2)} MiB, as every hard-link tree pays, rsnapshot's too)`,
  );
} finally {
  await rm(work, { recursive: true, force: true });
}
