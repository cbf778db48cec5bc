import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Secret } from '../../src/secret/secret.ts';
import type { Host } from '../../src/host/host.ts';
import { collect, startTestHost } from '../helpers/host-harness.ts';
import { ownerOf, rewriteStored, storedDocuments } from '../helpers/book-store-files.ts';
import { randomIds } from '../../src/ids/ids.ts';
import { tempDir } from '../helpers/temp-dir.ts';

async function bookWith(users: string[]): Promise<{ dataDir: string; host: Host; tokens: Record<string, Secret> }> {
  const dataDir = await tempDir('entries');
  const { host } = await startTestHost(dataDir);
  const tokens: Record<string, Secret> = {};
  for (const username of users) {
    const masterPassword = new Secret(`${username}'s master password`);
    await host.request('user.register', { username, masterPassword });
    tokens[username] = (await host.request('session.login', { username, masterPassword })).token;
  }
  return { dataDir, host, tokens };
}

describe('one document per entry', () => {
  it('renames an entry under its new name with the same entry id, password and creation time', async () => {
    const { host, tokens } = await bookWith(['ann']);
    const token = tokens['ann']!;
    await host.request('entry.add', { token, name: 'mail', password: new Secret('m4il') });
    await host.request('entry.add', { token, name: 'bank', password: new Secret('b4nk') });
    const [before] = (await host.request('entry.list', { token })).entries.filter((entry) => entry.name === 'mail');
    assert.deepEqual(await host.request('entry.rename', { token, name: 'mail', newName: 'email' }), { name: 'email' });
    const [after] = (await host.request('entry.list', { token })).entries.filter((entry) => entry.name === 'email');
    assert.equal(after?.entryId, before?.entryId);
    assert.equal(after?.createdAt, before?.createdAt);
    assert.equal((await host.request('entry.get', { token, name: 'email' })).password.reveal(), 'm4il');
    await assert.rejects(host.request('entry.get', { token, name: 'mail' }), { code: 'ENTRY_NOT_FOUND' });
    // Onto a name that is taken: refused, and both stay as they were.
    await assert.rejects(host.request('entry.rename', { token, name: 'email', newName: 'bank' }), { code: 'ENTRY_EXISTS' });
    assert.equal((await host.request('entry.get', { token, name: 'bank' })).password.reveal(), 'b4nk');
    assert.equal((await host.request('entry.get', { token, name: 'email' })).password.reveal(), 'm4il');
    // To its own name: kept.
    assert.deepEqual(await host.request('entry.rename', { token, name: 'bank', newName: 'bank' }), { name: 'bank' });
    assert.deepEqual((await host.request('entry.list', { token })).entries.map((entry) => entry.name), ['bank', 'email']);
    await host.stop('test');
  });

  it('renames in one batch: the new place written and the old one freed together', async () => {
    const { host, tokens } = await bookWith(['ann']);
    const token = tokens['ann']!;
    await host.request('entry.add', { token, name: 'old', password: new Secret('p') });
    const commands = collect(host, 'store.command');
    await host.request('entry.rename', { token, name: 'old', newName: 'new' });
    commands.stop();
    const writes = commands.seen.filter((command) => command.op !== 'get');
    assert.equal(writes.length, 1);
    assert.ok(writes[0]?.op === 'batch');
    assert.deepEqual(writes[0].writes.map((write) => `${write.op} ${write.collection}`), ['put book.entries', 'delete book.entries']);
    await host.stop('test');
  });

  it('keeps the same name in two books as two documents, under tags that differ, with nothing of the name in the store', async () => {
    const { dataDir, host, tokens } = await bookWith(['ann', 'bob']);
    await host.request('entry.add', { token: tokens['ann']!, name: 'shared name', password: new Secret('ann-pw') });
    await host.request('entry.add', { token: tokens['bob']!, name: 'shared name', password: new Secret('bob-pw') });
    assert.equal((await host.request('entry.get', { token: tokens['ann']!, name: 'shared name' })).password.reveal(), 'ann-pw');
    assert.equal((await host.request('entry.get', { token: tokens['bob']!, name: 'shared name' })).password.reveal(), 'bob-pw');
    await host.stop('test');
    const documents = await storedDocuments(dataDir, 'book.entries');
    assert.deepEqual(Object.keys(documents).map(ownerOf).sort(), ['ann', 'bob']);
    const [annTag, bobTag] = ['ann', 'bob'].map((username) => Object.entries(documents).find(([key]) => ownerOf(key) === username)?.[1].nameTag);
    assert.match(annTag, /^[0-9a-f]{64}$/);
    assert.notEqual(annTag, bobTag);
    assert.ok(!JSON.stringify(documents).includes('shared'));
  });

  it('adds, reads and deletes by name reading only the documents of that name and the user', async () => {
    const { host, tokens } = await bookWith(['ann']);
    const token = tokens['ann']!;
    for (let i = 0; i < 5; i++) await host.request('entry.add', { token, name: `e${i}`, password: new Secret('p') });
    const commands = collect(host, 'store.command');
    await host.request('entry.add', { token, name: 'one more', password: new Secret('p') });
    await host.request('entry.get', { token, name: 'one more' });
    await host.request('entry.delete', { token, name: 'one more' });
    commands.stop();
    // Never a whole-book read: gets of single keys, and single writes.
    assert.deepEqual(commands.seen.filter((command) => command.op === 'list' || command.op === 'keys'), []);
    assert.deepEqual(commands.seen.map((command) => command.op), ['get', 'get', 'batch', 'get', 'get', 'delete']);
    await host.stop('test');
  });

  it('never hands out an entry id again when the count of entries added is rewound (a user record restored from an older backup)', async () => {
    const masterPassword = new Secret('a long master password');
    const dataDir = await tempDir('entries');
    // Production's id source: what keeps ids apart across runs (a test's counts from 1 in every run).
    const first = (await startTestHost(dataDir, { ids: randomIds })).host;
    await first.request('user.register', { username: 'ann', masterPassword });
    let token = (await first.request('session.login', { username: 'ann', masterPassword })).token;
    for (const name of ['a1', 'a2']) await first.request('entry.add', { token, name, password: new Secret('p') });
    const before = (await first.request('entry.list', { token })).entries.map((entry) => entry.entryId);
    assert.match(before[0]!, /^entry-1-[\w-]+$/);
    await first.stop('test');
    await rewriteStored(dataDir, 'book.users', (users) => delete users['ann'].entriesAdded);

    const second = (await startTestHost(dataDir, { ids: randomIds })).host;
    token = (await second.request('session.login', { username: 'ann', masterPassword })).token;
    await second.request('entry.add', { token, name: 'a3', password: new Secret('p') });
    const after = (await second.request('entry.list', { token })).entries.map((entry) => entry.entryId);
    assert.equal(new Set(after).size, 3);
    // Deleting the first entry by its id deletes that one only.
    await second.request('entry.delete', { token, entryId: before[0]! });
    assert.deepEqual((await second.request('entry.list', { token })).entries.map((entry) => entry.name), ['a2', 'a3']);
    await second.stop('test');
  });

  it('files a generated password and removes it from the inbox in one batch', async () => {
    const { host, tokens } = await bookWith(['ann']);
    const token = tokens['ann']!;
    await host.request('pending.add', { password: new Secret('generated') });
    const commands = collect(host, 'store.command');
    await host.request('pending.file', { token, name: 'gen' });
    commands.stop();
    const writes = commands.seen.filter((command) => command.op === 'put' || command.op === 'delete' || command.op === 'batch');
    assert.equal(writes.length, 1);
    assert.ok(writes[0]?.op === 'batch');
    assert.deepEqual(writes[0].writes.map((write) => `${write.op} ${write.collection}`), ['put book.users', 'put book.entries', 'delete book.pending']);
    assert.equal((await host.request('entry.get', { token, name: 'gen' })).password.reveal(), 'generated');
    await host.stop('test');
  });
});
