/**
 * Chaos experiments on the backup engine, against real safekeep processes:
 * (a) kill -9 at random moments of large copies, (b) kills at each step of
 * the copy protocol, injected with strace, (c) flipped bytes in version files
 * and in the catalog. After every fault the service is restarted (with no
 * manual step) and checked: `revert` answers a file whose SHA-256 is a state
 * that was backed up and matches its catalog record, nothing partial is
 * registered, no orphan or temp file is left, no acknowledged backup is lost,
 * and a damaged version is found by `verify` and never served.
 *
 * @example
 * const rows = await runBackupIntegrityExperiments({ scale: 200 });
 * console.table(rows);
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { digestState } from '../../src/integrity/record-digest.ts';
import { checkAfterRestart } from './after-restart.ts';
import { catalogVersions, ChaosProcess } from './chaos-process.ts';
import { flipByte } from '../helpers/flip-byte.ts';
import { ask, mutate, newRow, note, seededRandom, sha256Of, sleep, writeRandomFile, type ExperimentRow } from './chaos-support.ts';
import { runTargetedKills } from './targeted-kills.ts';

export type { ExperimentRow } from './chaos-support.ts';

export interface BackupIntegrityOptions {
  /** Random kills in (a), and byte flips in (c): e.g. 10 in CI, 200 on demand. */
  readonly scale: number;
  /** Size of the source in (a); default 32 MiB. */
  readonly fileBytes?: number;
  /** Seed for the random moments and offsets; default from the time (printed in the notes). */
  readonly seed?: number;
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
}

export async function runBackupIntegrityExperiments(options: BackupIntegrityOptions): Promise<ExperimentRow[]> {
  const seed = options.seed ?? Date.now() % 2 ** 31;
  const random = seededRandom(seed);
  const log = options.log ?? (() => undefined);
  const root = await mkdtemp(path.join(tmpdir(), 'safekeep-chaos-backup-'));
  try {
    const rows = [
      await randomKills(path.join(root, 'a'), options.scale, options.fileBytes ?? 32 * 1024 * 1024, random, log),
      ...(await runTargetedKills(path.join(root, 'b'), log)),
      await byteFlips(path.join(root, 'c'), Math.max(3, options.scale), random, log),
    ];
    for (const row of rows) note(row, `seed ${seed}`);
    return rows;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

/** Starts the CLI on `dir` and waits for its port; a start that fails is a crash (no one unlocks anything by hand here). */
async function startCli(dir: string, row: ExperimentRow, extra: readonly string[] = []): Promise<{ proc: ChaosProcess; port: number } | null> {
  const proc = new ChaosProcess(['--source', 'data.bin', '--interval', '1d', '--port', '0', '--verify-interval', '0', ...extra], dir);
  const port = await proc.port();
  if (port !== null) return { proc, port };
  row.crashes++;
  note(row, `a restart failed: ${proc.stderr.trim().split('\n').pop() ?? ''}`);
  await proc.kill9();
  return null;
}

/** (a) kill -9 at a random moment of each of `kills` large copies. */
async function randomKills(dir: string, kills: number, fileBytes: number, random: () => number, log: (line: string) => void): Promise<ExperimentRow> {
  const row = newRow(`kill -9 at random moments of ${Math.round(fileBytes / 1024 / 1024)} MiB copies`);
  const dataDir = path.join(dir, 'safekeep-data');
  const jobDir = path.join(dataDir, 'backups', 'data.bin');
  const source = path.join(dir, 'data.bin');
  await mkdirp(dir);
  await writeRandomFile(source, fileBytes);
  const states = new Set([await sha256Of(source)]);
  const acked = new Set<string>();

  let started = await startCli(dir, row);
  if (!started) return row;
  if (!(await started.proc.waitFor('stderr', /\[data\.bin\] done/))) note(row, 'the first backup did not finish');
  else acked.add([...states][0] as string);

  // How long one copy takes here, so the kills land inside copies.
  states.add(await mutate(source));
  const timed = Date.now();
  const first = await ask(started.port, 'backup');
  row.requestsSent++;
  const copyMs = Math.max(20, Date.now() - timed);
  if (first === 'Backup completed') acked.add(await sha256Of(source));

  let adopted = 0;
  let tempsRemoved = 0;
  for (let kill = 1; kill <= kills && started; kill++) {
    const sha = await mutate(source);
    states.add(sha);
    const reply = ask(started.port, 'backup').catch(() => '');
    row.requestsSent++;
    await sleep(random() * copyMs * 1.2);
    if (!started.proc.running) {
      row.crashes++;
      note(row, `the process ended on its own before kill ${kill}`);
    }
    await started.proc.kill9();
    row.faultsInjected++;
    if ((await reply) === 'Backup completed') acked.add(sha);

    started = await startCli(dir, row);
    if (!started) break;
    if (/adopted 1 uncatalogued/.test(started.proc.stderr)) adopted++;
    if (/removed 1 partial copy/.test(started.proc.stderr)) tempsRemoved++;
    await checkAfterRestart({ row, dataDir, jobDir, port: started.port, acked, states });
    log(`(a) kill ${kill}/${kills}: ${row.partialRegistered} partial, ${row.ackedWritesLost} lost`);
  }
  if (started) {
    const exit = await started.proc.stop();
    if (exit.code !== 0) {
      row.crashes++;
      note(row, `the last process exited with ${exit.code ?? exit.signal}`);
    }
  }
  note(row, `copy ~${copyMs} ms; ${acked.size} backups acknowledged; restarts removed ${tempsRemoved} partial copies and adopted ${adopted} orphans`);
  return row;
}

/** (c) bytes flipped in version files and in catalog records: `verify` must find each, `revert` never serve one. */
async function byteFlips(dir: string, flips: number, random: () => number, log: (line: string) => void): Promise<ExperimentRow> {
  const row = newRow('byte flips in version files and catalog records');
  const dataDir = path.join(dir, 'safekeep-data');
  const jobDir = path.join(dataDir, 'backups', 'data.bin');
  const source = path.join(dir, 'data.bin');
  await mkdirp(dir);
  await writeRandomFile(source, 256 * 1024);
  const states = new Set([await sha256Of(source)]);
  const acked = new Set<string>();
  const damaged = new Set<string>(); // SHA-256s of versions damaged on purpose

  let started = await startCli(dir, row);
  if (!started || !(await started.proc.waitFor('stderr', /\[data\.bin\] done/))) return row;
  acked.add([...states][0] as string);

  for (let flip = 1; flip <= flips && started; flip++) {
    // A new version each round, so there is always an intact one to flip.
    const sha = await mutate(source);
    states.add(sha);
    row.requestsSent++;
    if ((await ask(started.port, 'backup')) === 'Backup completed') acked.add(sha);
    const records = Object.entries(await catalogVersions(dataDir)).filter(
      ([, stored]) => digestState(stored as object) !== 'damaged' && !('damaged' in (stored as object)) && !damaged.has((stored as { sha256: string }).sha256),
    );
    const [key, stored] = records[Math.floor(random() * records.length)] ?? [];
    if (!key || !stored) continue;
    const version = stored as { path: string; sha256: string; size: number };
    damaged.add(version.sha256);
    row.faultsInjected++;
    if (flip % 3 === 0) {
      // In the catalog: one hex digit of the record's sha256, with the service stopped (JSON stays valid; the record's digest no longer matches).
      await started.proc.stop();
      await flipCatalogSha(dataDir, version.sha256);
      started = await startCli(dir, row, ['--verbose']);
      if (!started) break;
      // With every version quarantined the job runs at once: let that copy finish before the folder is audited.
      if (await started.proc.waitFor('stderr', /\[data\.bin\] copying/, 2_000)) await started.proc.waitFor('stderr', /\[data\.bin\] (done|failed)/);
    } else {
      await flipByte(version.path, Math.floor(random() * version.size));
    }
    if (random() < 0.5) {
      // revert first: it must skip the changed file (and send it to verification) before verify runs.
      await checkAfterRestart({ row, dataDir, jobDir, port: started.port, acked, states, damagedOnPurpose: damaged });
    }
    const verified = await ask(started.port, 'verify');
    row.requestsSent++;
    const counts = /^Verified (\d+) versions?: (\d+) damaged\.$/.exec(verified);
    if (!counts || Number(counts[2]) !== damaged.size) {
      row.partialRegistered++;
      note(row, `verify answered '${verified}' with ${damaged.size} damaged on purpose`);
    }
    await checkAfterRestart({ row, dataDir, jobDir, port: started.port, acked, states, damagedOnPurpose: damaged });
    log(`(c) flip ${flip}/${flips} (${key}): ${verified}`);
  }
  if (started) await started.proc.stop();
  return row;
}

/** Changes one hex digit of the catalogued `sha256` in whichever shard holds it. */
async function flipCatalogSha(dataDir: string, sha256: string): Promise<void> {
  const dir = path.join(dataDir, 'store', 'backup.versions');
  for (const name of (await readdir(dir)).filter((entry) => entry.startsWith('shard-'))) {
    const text = await readFile(path.join(dir, name), 'utf8');
    if (!text.includes(sha256)) continue;
    const changed = `${sha256[0] === '0' ? '1' : '0'}${sha256.slice(1)}`;
    await writeFile(path.join(dir, name), text.replace(sha256, changed));
  }
}

async function mkdirp(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}
