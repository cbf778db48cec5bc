import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Bus } from '../../src/bus/bus.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { collect, startTestHost, writeSource, START } from '../helpers/host-harness.ts';
import { versionFileName } from '../../src/backup/version-name.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import type { BusEvents } from '../../src/bus/events.ts';

const MINUTE = 60_000;

/** One backup of `notes.json`, then the host stopped: what a crash after the next copy's rename would find. */
async function backedUpOnce() {
  const root = await tempDir('orphans');
  const source = await writeSource(root, 'notes.json', 'backed up');
  const dataDir = path.join(root, 'data');
  const { host, clock } = await startTestHost(dataDir, { jobs: [{ sourcePath: source, intervalMs: MINUTE }] });
  const completed = collect(host, 'backup.completed');
  clock.advance(0);
  const first = await completed.next();
  await host.stop();
  return { root, source, dataDir, jobDir: path.dirname(first.version.path), first: first.version };
}

/** A copy put in place the way copyVersion does it (temp file, then rename), but never catalogued. */
async function renameIntoPlace(jobDir: string, name: string, content: string | { copyOf: string }): Promise<string> {
  const temp = path.join(jobDir, 'staging-copy');
  if (typeof content === 'string') await writeFile(temp, content);
  else await copyFile(content.copyOf, temp);
  const finalPath = path.join(jobDir, name);
  await rename(temp, finalPath);
  return finalPath;
}

/** Restarts the host (an hour later, so its first run is not due at once) and returns what it reported at start. */
async function restart(dataDir: string, source: string) {
  const clock = new VirtualClock(START + 30_000);
  let loaded: BusEvents['backup.jobs.loaded'] | undefined;
  const adapter = { name: 'probe', start: async (bus: Bus) => void bus.on('backup.jobs.loaded', (event) => void (loaded = event)), stop: async () => undefined };
  const { host } = await startTestHost(dataDir, { jobs: [{ sourcePath: source, intervalMs: MINUTE }], adapters: [adapter] }, clock);
  assert.ok(loaded, 'backup.jobs.loaded was emitted');
  return { host, loaded };
}

describe('orphan version files at start', () => {
  it('adopts a copy renamed into place but not catalogued when it is the next one and matches the source', async () => {
    const { dataDir, source, jobDir, first } = await backedUpOnce();
    const orphan = await renameIntoPlace(jobDir, versionFileName(source, START + 20_000, first.seq + 1), { copyOf: source });
    const { host, loaded } = await restart(dataDir, source);
    assert.deepEqual(loaded.orphansAdopted, ['notes.json@2']);
    assert.deepEqual(loaded.orphansRemoved, []);
    const adopted = host.newestVersion('notes.json');
    assert.equal(adopted?.path, orphan);
    assert.equal(adopted?.createdAt, START + 20_000);
    assert.equal((await host.request('backup.revert', {})).version?.path, orphan);
    assert.deepEqual((await host.request('backup.verify', {})).damaged, 0);
    await host.stop();

    // Registered durably: a second restart finds it in the catalog, not as an orphan.
    const again = await restart(dataDir, source);
    assert.deepEqual(again.loaded.orphansAdopted, []);
    assert.equal(again.host.newestVersion('notes.json')?.path, orphan);
    await again.host.stop();
  });

  it('removes an uncatalogued copy whose bytes are not the source\'s, and one whose sequence is not past the registered ones', async () => {
    const { dataDir, source, jobDir, first } = await backedUpOnce();
    const torn = await renameIntoPlace(jobDir, versionFileName(source, START + 20_000, first.seq + 1), 'backed');
    const stale = await renameIntoPlace(jobDir, versionFileName(source, START - 20_000, first.seq), { copyOf: source });
    const { host, loaded } = await restart(dataDir, source);
    assert.deepEqual(loaded.orphansAdopted, []);
    assert.deepEqual([...loaded.orphansRemoved].sort(), [stale, torn].sort());
    assert.deepEqual(await readdir(jobDir), [path.basename(first.path)]);
    assert.equal(host.newestVersion('notes.json')?.id, first.id);
    await host.stop();
  });

  it('leaves alone files in the job folder whose names safekeep did not make', async () => {
    const { dataDir, source, jobDir, first } = await backedUpOnce();
    await writeFile(path.join(jobDir, 'README.txt'), 'mine');
    const { host, loaded } = await restart(dataDir, source);
    assert.deepEqual(loaded.orphansRemoved, []);
    assert.deepEqual((await readdir(jobDir)).sort(), [path.basename(first.path), 'README.txt'].sort());
    assert.equal(await readFile(path.join(jobDir, 'README.txt'), 'utf8'), 'mine');
    await host.stop();
  });
});
