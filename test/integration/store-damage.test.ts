import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Bus } from '../../src/bus/bus.ts';
import type { BusEvents } from '../../src/bus/events.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import { startHost } from '../../src/host/start-host.ts';
import { sequentialIds } from '../../src/ids/ids.ts';
import { seededRandom } from '../../src/random/random.ts';
import { Secret } from '../../src/secret/secret.ts';
import { collect, START, startTestHost } from '../helpers/host-harness.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const MASTER = new Secret('correct horse battery staple');
const USERS = Array.from({ length: 12 }, (_, index) => `user${index}`);

/** The shard file of `book.users` that holds `username` (found by looking, not by recomputing the hash). */
async function shardHolding(dataDir: string, username: string): Promise<string> {
  const dir = path.join(dataDir, 'store', 'book.users');
  for (let index = 0; index < 256; index++) {
    const file = path.join(dir, `shard-${index.toString(16).padStart(3, '0')}.json`);
    const text = await readFile(file, 'utf8').catch(() => '');
    if (text.includes(`"${username}":`)) return file;
  }
  throw new Error(`no shard holds ${username}`);
}

describe('a damaged store shard', () => {
  it('costs only the documents in it: counts, lists and other users go on, its own users get a coded error, and it is reported once', async () => {
    const dataDir = await tempDir('store-damage');
    const first = await startTestHost(dataDir);
    for (const username of USERS) await first.host.request('user.register', { username, masterPassword: MASTER });
    await first.host.stop('test');

    const damaged = await shardHolding(dataDir, 'user0');
    const before = await readFile(damaged, 'utf8');
    // One flipped byte that breaks the JSON.
    await writeFile(damaged, before.replace('{', '['));
    const lost = USERS.filter((username) => before.includes(`"${username}":`));

    const { host } = await startTestHost(dataDir);
    const reports = collect(host, 'store.damaged');
    const { count } = await host.request('users.count', {});
    assert.equal(count, USERS.length - lost.length);
    const { users } = await host.request('users.list', {});
    assert.deepEqual(users.map((user) => user.username).sort(), USERS.filter((username) => !lost.includes(username)).sort());
    const intact = USERS.find((username) => !lost.includes(username)) as string;
    const session = await host.request('session.login', { username: intact, masterPassword: MASTER });
    assert.ok(session.token);
    await assert.rejects(host.request('session.login', { username: 'user0', masterPassword: MASTER }), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'STORE_CORRUPT');
      assert.ok(!error.message.includes(dataDir), error.message);
      return true;
    });
    await host.request('users.count', {});
    assert.equal(reports.seen.length, 1);
    assert.deepEqual({ ...reports.seen[0], message: undefined, detail: undefined }, { collection: 'book.users', shard: path.basename(damaged).slice(6, 9), message: undefined, detail: undefined });
    assert.equal(reports.seen[0]?.detail?.includes(damaged), true);
    // Left as it was, for whoever repairs it.
    assert.equal(await readFile(damaged, 'utf8'), before.replace('{', '['));
    await host.stop('test');
  });
});

describe('a damaged catalog shard', () => {
  it('never gets the backups it lists deleted as orphans: their files stay until it is restored, and the start says why', async () => {
    const root = await tempDir('catalog-damage');
    const dataDir = path.join(root, 'data');
    const source = path.join(root, 'notes.txt');
    await writeFile(source, 'one\n');
    const first = await startTestHost(dataDir, { jobs: [{ sourcePath: source, intervalMs: 60_000 }] });
    first.clock.advance(0);
    const files: string[] = [];
    for (const content of ['two\n', 'three\n', 'four\n']) {
      await writeFile(source, content);
      files.push((await first.host.runBackup()).version.path);
    }
    await first.host.stop('test');
    // Every shard of the versions collection that holds a record: unreadable.
    const versionsDir = path.join(dataDir, 'store', 'backup.versions');
    for (const name of await readdir(versionsDir)) {
      if (name.startsWith('shard-')) await writeFile(path.join(versionsDir, name), '{"format":"safekeep.shard","documents":{');
    }

    const clock = new VirtualClock(START + 3_600_000);
    const loaded: BusEvents['backup.jobs.loaded'][] = [];
    const bus = new Bus();
    bus.on('backup.jobs.loaded', (event) => void loaded.push(event));
    const host = await startHost({ dataDir, socket: false, clock, ids: sequentialIds(), random: seededRandom('catalog damage'), jobs: [{ sourcePath: source, intervalMs: 60_000 }] }, { bus });
    assert.deepEqual(loaded[0]?.orphansRemoved, []);
    assert.ok((loaded[0]?.catalogUnreadable ?? []).length > 0, 'the start does not say the catalog is unreadable');
    for (const file of files) assert.equal(await stat(file).then(() => true, () => false), true, `${file} was deleted`);
    await host.stop('test');
  });
});
