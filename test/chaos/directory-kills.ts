/**
 * Chaos for directory jobs: kill -9 at random moments of snapshots of a
 * tree (hundreds of files, a few large ones, nested folders), with a few
 * files changed before each. After every kill the service is restarted with
 * no manual step and checked: every registered snapshot verifies file by
 * file against its manifest, no temp folder or uncatalogued snapshot is
 * left, every acknowledged snapshot is still there, and `revert` answers a
 * tree that was backed up.
 *
 * @example
 * const row = await runDirectoryKills({ kills: 5 });
 */
import { createHash, randomBytes } from 'node:crypto';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { auditJobFolder, catalogVersions, ChaosProcess } from './chaos-process.ts';
import { ask, newRow, note, seededRandom, sleep, type ExperimentRow } from './chaos-support.ts';

export interface DirectoryKillOptions {
  readonly kills: number;
  /** Files in the tree; default 300. */
  readonly files?: number;
  readonly seed?: number;
  readonly log?: (line: string) => void;
}

export async function runDirectoryKills(options: DirectoryKillOptions): Promise<ExperimentRow> {
  const seed = options.seed ?? Date.now() % 2 ** 31;
  const random = seededRandom(seed);
  const log = options.log ?? (() => undefined);
  const root = await mkdtemp(path.join(tmpdir(), 'safekeep-chaos-dirs-'));
  const row = newRow(`kill -9 at random moments of directory snapshots`);
  try {
    await killDuringSnapshots(root, options.kills, options.files ?? 300, random, row, log);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
  note(row, `seed ${seed}`);
  return row;
}

async function killDuringSnapshots(root: string, kills: number, fileCount: number, random: () => number, row: ExperimentRow, log: (line: string) => void) {
  const source = path.join(root, 'tree');
  const dataDir = path.join(root, 'safekeep-data');
  const jobDir = path.join(dataDir, 'backups', 'tree');
  const names = Array.from({ length: fileCount }, (_, index) => `d${index % 7}/e${index % 3}/f${index}.bin`);
  for (const [index, name] of names.entries()) {
    await mkdir(path.dirname(path.join(source, name)), { recursive: true });
    // Mostly small files and a few of 4 MiB, so a kill can land inside one copy as well as between many.
    await writeFile(path.join(source, name), randomBytes(index % 50 === 0 ? 4 * 1024 * 1024 : 1024 + Math.floor(random() * 16 * 1024)));
  }
  const states = new Set([await treeDigest(source)]);
  const acked = new Set<string>();
  const start = async () => {
    const proc = new ChaosProcess(['--source', 'tree', '--interval', '1d', '--port', '0', '--verify-interval', '0'], root);
    const port = await proc.port();
    if (port !== null) return { proc, port };
    row.crashes++;
    note(row, `a restart failed: ${proc.stderr.trim().split('\n').pop() ?? ''}`);
    await proc.kill9();
    return null;
  };

  let started = await start();
  if (!started) return;
  if (!(await started.proc.waitFor('stderr', /\[tree\] done/))) note(row, 'the first snapshot did not finish');
  else acked.add([...states][0] as string);

  // How long a snapshot with changes takes here, so the kills land inside snapshots.
  const changeSome = async () => {
    for (let n = 0; n < 5; n++) {
      const name = names[Math.floor(random() * names.length)] as string;
      await writeFile(path.join(source, name), randomBytes(n === 0 ? 4 * 1024 * 1024 : 2048));
    }
    const digest = await treeDigest(source);
    states.add(digest);
    return digest;
  };
  const timedDigest = await changeSome();
  const timed = Date.now();
  row.requestsSent++;
  if ((await ask(started.port, 'backup')) === 'Backup completed') acked.add(timedDigest);
  const snapshotMs = Math.max(20, Date.now() - timed);

  let leftovers = 0;
  for (let kill = 1; kill <= kills && started; kill++) {
    const digest = await changeSome();
    const reply = ask(started.port, 'backup').catch(() => '');
    row.requestsSent++;
    await sleep(random() * snapshotMs * 1.2);
    if (!started.proc.running) {
      row.crashes++;
      note(row, `the process ended on its own before kill ${kill}`);
    }
    await started.proc.kill9();
    row.faultsInjected++;
    if ((await reply) === 'Backup completed') acked.add(digest);

    started = await start();
    if (!started) break;
    if (/removed \d+ partial cop/.test(started.proc.stderr)) leftovers++;
    await checkAfterRestart(row, dataDir, jobDir, started.port, acked, states);
    log(`directory kill ${kill}/${kills}: ${row.partialRegistered} partial, ${row.ackedWritesLost} lost`);
  }
  if (started) {
    const exit = await started.proc.stop();
    if (exit.code !== 0) {
      row.crashes++;
      note(row, `the last process exited with ${exit.code ?? exit.signal}`);
    }
  }
  note(row, `${fileCount} files, snapshot ~${snapshotMs} ms; ${acked.size} snapshots acknowledged; ${leftovers} restarts removed leftovers`);
}

async function checkAfterRestart(row: ExperimentRow, dataDir: string, jobDir: string, port: number, acked: ReadonlySet<string>, states: ReadonlySet<string>) {
  const audit = await auditJobFolder(dataDir, jobDir);
  row.partialRegistered += audit.partialRegistered.length + audit.orphans.length + audit.tempFiles.length;
  if (audit.partialRegistered.length > 0) note(row, `registered but not intact: ${audit.partialRegistered.join(', ')}`);
  if (audit.orphans.length + audit.tempFiles.length > 0) note(row, `left behind: ${[...audit.orphans, ...audit.tempFiles].join(', ')}`);
  const registered = new Set<string>();
  for (const stored of Object.values(await catalogVersions(dataDir))) registered.add(await treeDigest((stored as { path: string }).path));
  for (const digest of acked) {
    if (!registered.has(digest)) {
      row.ackedWritesLost++;
      note(row, `an acknowledged snapshot is gone`);
    }
  }
  const reverted = await ask(port, 'revert');
  row.requestsSent++;
  if (!states.has(await treeDigest(reverted).catch(() => 'unreadable'))) {
    row.partialRegistered++;
    note(row, `revert answered ${reverted}, which is no tree that was backed up`);
  }
}

/** One SHA-256 over a tree's paths, types, link targets and file contents: equal trees, equal digests. */
async function treeDigest(root: string): Promise<string> {
  const hash = createHash('sha256');
  const visit = async (relative: string): Promise<void> => {
    const names = (await readdir(path.join(root, relative))).sort();
    for (const name of names) {
      const entryPath = path.join(relative, name);
      const absolute = path.join(root, entryPath);
      const stats = await lstat(absolute);
      if (stats.isDirectory()) {
        hash.update(`d ${entryPath}\n`);
        await visit(entryPath);
      } else if (stats.isSymbolicLink()) hash.update(`l ${entryPath} ${await readlink(absolute)}\n`);
      else hash.update(`f ${entryPath} ${createHash('sha256').update(await readFile(absolute)).digest('hex')}\n`);
    }
  };
  await visit('');
  return hash.digest('hex');
}
