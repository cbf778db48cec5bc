import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { Secret } from '../../src/secret/secret.ts';
import { checkDataDir } from '../../src/cli/check-data-dir.ts';
import type { Host } from '../../src/host/host.ts';
import { collect, startTestHost } from '../helpers/host-harness.ts';
import { storedDocuments } from '../helpers/book-store-files.ts';
import { tempDir } from '../helpers/temp-dir.ts';

// test/fixtures/data-dir-v1/README.md: who is in it, with which master passwords and entries.
const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/data-dir-v1/data');
const ANN = { username: 'ann', masterPassword: 'correct horse battery staple' };
const BOB = { username: 'bob', masterPassword: 'tr0ub4dor&3 is weak' };
const ANN_ENTRIES = { bank: 'bank-password-2', 'home wifi': 'wifi-password-3', mail: 'mail-password-1' };

async function fixtureCopy(): Promise<string> {
  const dataDir = path.join(await tempDir('v1-book'), 'data');
  await cp(FIXTURE, dataDir, { recursive: true });
  return dataDir;
}

const login = async (host: Host, user: { username: string; masterPassword: string }) =>
  (await host.request('session.login', { username: user.username, masterPassword: new Secret(user.masterPassword) })).token;

/** Every entry of a book, name → password, read back one by one. */
async function readBook(host: Host, token: Secret): Promise<Record<string, string>> {
  const { entries, damaged } = await host.request('entry.list', { token });
  assert.deepEqual(damaged, []);
  const book: Record<string, string> = {};
  for (const { name } of entries) book[name] = (await host.request('entry.get', { token, name })).password.reveal();
  return book;
}

describe('a data directory written before entries had documents of their own', () => {
  it('keeps every user and entry: split at each owner’s login, in one batch, and read back across a restart', async () => {
    const dataDir = await fixtureCopy();
    const before = await checkDataDir(dataDir);
    assert.deepEqual(before.damage, []);
    assert.deepEqual(before.checked.users, 3);
    assert.deepEqual(before.checked.entries, 4);

    const first = (await startTestHost(dataDir)).host;
    // What needs no entries works before anyone logs in.
    assert.deepEqual(await first.request('users.count', {}), { count: 3 });
    assert.deepEqual(await first.request('users.list', {}), { users: [{ username: 'ann' }, { username: 'bob' }, { username: 'carol' }] });
    const commands = collect(first, 'store.command');
    const ann = await login(first, ANN);
    commands.stop();
    const writes = commands.seen.filter((command) => command.op === 'put' || command.op === 'delete' || command.op === 'batch');
    // One batch, so a crash leaves the old layout or the new one, never half of each.
    assert.equal(writes.length, 1);
    const [split] = writes;
    assert.ok(split?.op === 'batch');
    assert.deepEqual(
      split.writes.map((write) => `${write.op} ${write.collection}`).sort(),
      ['put book.entries', 'put book.entries', 'put book.entries', 'put book.users'],
    );
    assert.deepEqual(await readBook(first, ann), ANN_ENTRIES);
    assert.deepEqual(await readBook(first, await login(first, BOB)), { forum: 'forum-password-4' });
    assert.deepEqual(await first.request('pending.list', { token: ann }).then((listed) => listed.pending.length), 1);
    assert.deepEqual(await first.request('pending.file', { token: ann, name: 'generated' }), { name: 'generated' });
    await first.stop('test');

    const users = await storedDocuments(dataDir, 'book.users');
    assert.equal(users['ann'].version, 2);
    assert.equal('entries' in users['ann'], false);
    // carol never logged in: her document is as it was, and still counts.
    assert.equal(users['carol'].version, 1);
    assert.deepEqual(users['carol'].entries, {});
    const after = await checkDataDir(dataDir);
    assert.deepEqual(after.damage, []);
    assert.deepEqual(after.checked.entries, 5);

    const second = (await startTestHost(dataDir)).host;
    const again = collect(second, 'store.command');
    const annAgain = await login(second, ANN);
    again.stop();
    assert.deepEqual(again.seen.filter((command) => command.op !== 'get'), [], 'a split book is not split again');
    assert.deepEqual(await readBook(second, annAgain), { ...ANN_ENTRIES, generated: 'generated-pending-5' });
    assert.deepEqual(await readBook(second, await login(second, BOB)), { forum: 'forum-password-4' });
    assert.deepEqual(await second.request('pending.list', { token: annAgain }).then((listed) => listed.pending), []);
    assert.deepEqual(await second.request('users.count', {}), { count: 3 });
    // New entries after the split get ids that no version-1 entry has.
    await second.request('entry.add', { token: annAgain, name: 'new', password: new Secret('new-password') });
    const ids = (await second.request('entry.list', { token: annAgain })).entries.map((entry) => entry.entryId);
    assert.equal(new Set(ids).size, ids.length);
    await second.stop('test');
  });
});
