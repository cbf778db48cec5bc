import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../helpers/temp-dir.ts';
import { startTestHost } from '../helpers/host-harness.ts';
import { JsonClient } from '../helpers/json-client.ts';
import { entriesOf, flipBase64, makeWholeBook, rewriteStored, storedDocuments } from '../helpers/book-store-files.ts';
import { checkBookDocument, checkEntryDocument, checkPendingDocument } from '../../src/book/book-check.ts';
import { groupKey } from '../../src/store/group-key.ts';
import { unreadableEntryId } from '../../src/book/damaged-entry-keys.ts';
import { checkDataDir } from '../../src/cli/check-data-dir.ts';

const DAY = 24 * 60 * 60_000;
const ANN = { username: 'ann', masterPassword: 'correct horse battery' };
const BOB = { username: 'bob', masterPassword: 'bob has a long one' };

async function bookHost(dataDir: string) {
  const { host, clock } = await startTestHost(dataDir, { socket: { host: '127.0.0.1', port: 0, idleTimeoutMs: DAY } });
  const client = await JsonClient.connect(host.address!.port);
  return { host, clock, client, stop: async () => (client.close(), await host.stop()) };
}

/** A book with ann (entries a1, a2, a3) and bob (b1), written by a stopped service. */
async function twoBooks(): Promise<{ dataDir: string; annEntryIds: Record<string, string> }> {
  const dataDir = await tempDir('damage');
  const { client, stop } = await bookHost(dataDir);
  for (const user of [ANN, BOB]) await client.ok({ type: 'user.register', ...user });
  const ann = (await client.ok({ type: 'session.login', ...ANN })).token;
  const bob = (await client.ok({ type: 'session.login', ...BOB })).token;
  for (const name of ['a1', 'a2', 'a3']) await client.ok({ type: 'entry.add', token: ann, name, password: `${name}-secret` });
  await client.ok({ type: 'entry.add', token: bob, name: 'b1', password: 'b1-secret' });
  const annEntryIds: Record<string, string> = {};
  for (const { name, entryId } of (await client.ok({ type: 'entry.list', token: ann })).entries) annEntryIds[name] = entryId;
  await stop();
  return { dataDir, annEntryIds };
}

describe('a damaged entry is contained to itself', () => {
  it('keeps listing, reading, adding and renaming the other entries, and lists the damaged one by id so it can be deleted', async () => {
    const { dataDir, annEntryIds } = await twoBooks();
    const damagedId = annEntryIds['a2']!;
    await rewriteStored(dataDir, 'book.entries', (entries) => {
      const { document } = entriesOf(entries, 'ann')[damagedId]!;
      document.sealed.data = flipBase64(document.sealed.data, 3);
    });
    const { client, stop } = await bookHost(dataDir);
    const token = (await client.ok({ type: 'session.login', ...ANN })).token;
    const listed = await client.ok({ type: 'entry.list', token });
    assert.deepEqual(listed.entries.map((entry: { name: string }) => entry.name), ['a1', 'a3']);
    assert.deepEqual(listed.damaged.map((entry: { entryId: string }) => entry.entryId), [damagedId]);
    assert.equal(typeof listed.damaged[0].createdAt, 'number');
    assert.equal((await client.ok({ type: 'entry.get', token, name: 'a1' })).password, 'a1-secret');
    assert.equal(await client.fails({ type: 'entry.get', token, name: 'a2' }), 'ENTRY_NOT_FOUND');
    await client.ok({ type: 'entry.add', token, name: 'a4', password: 'a4-secret' });
    await client.ok({ type: 'entry.rename', token, name: 'a3', newName: 'a3-renamed' });
    await client.call({ message: 'save_password', password: 'generated' });
    await client.ok({ type: 'pending.file', token, name: 'gen' });
    // The damaged entry survives every rewrite of the book as it was, until its owner deletes it.
    assert.deepEqual((await client.ok({ type: 'entry.list', token })).damaged.map((entry: { entryId: string }) => entry.entryId), [damagedId]);
    assert.deepEqual(await client.ok({ type: 'entry.delete', token, entryId: damagedId }), {});
    const after = await client.ok({ type: 'entry.list', token });
    assert.deepEqual(after.damaged, []);
    assert.deepEqual(after.entries.map((entry: { name: string }) => entry.name), ['a1', 'a3-renamed', 'a4', 'gen']);
    assert.equal(await client.fails({ type: 'entry.delete', token, entryId: damagedId }), 'ENTRY_NOT_FOUND');
    // By id works for an intact entry too.
    await client.ok({ type: 'entry.delete', token, entryId: annEntryIds['a1']! });
    assert.equal(await client.fails({ type: 'entry.get', token, name: 'a1' }), 'ENTRY_NOT_FOUND');
    await stop();
  });

  it('refuses an entry.delete that names neither or both of name and entryId', async () => {
    const { dataDir } = await twoBooks();
    const { client, stop } = await bookHost(dataDir);
    const token = (await client.ok({ type: 'session.login', ...ANN })).token;
    assert.equal(await client.fails({ type: 'entry.delete', token }), 'INVALID_FIELD');
    assert.equal(await client.fails({ type: 'entry.delete', token, name: 'a1', entryId: 'entry_1' }), 'INVALID_FIELD');
    assert.equal(await client.fails({ type: 'entry.delete', token, entryId: 7 }), 'INVALID_FIELD');
    assert.equal(await client.fails({ type: 'entry.delete', token, entryId: '' }), 'INVALID_FIELD');
    assert.equal(await client.fails({ type: 'entry.delete', token, entryId: 'x'.repeat(65) }), 'INVALID_FIELD');
    assert.equal((await client.ok({ type: 'entry.list', token })).entries.length, 3);
    await stop();
  });

  it('lists entries swapped between ids or planted from another user as damaged, never under a name', async () => {
    const { dataDir, annEntryIds } = await twoBooks();
    await rewriteStored(dataDir, 'book.entries', (entries) => {
      const ann = entriesOf(entries, 'ann');
      const [one, two] = [ann[annEntryIds['a1']!]!.document, ann[annEntryIds['a2']!]!.document];
      [one.sealed, two.sealed] = [two.sealed, one.sealed];
      const [bob] = Object.values(entriesOf(entries, 'bob'));
      delete entries[bob!.key];
      entries[groupKey('ann', bob!.document.nameTag)] = { ...bob!.document, entryId: 'entry_planted' };
    });
    const { client, stop } = await bookHost(dataDir);
    const token = (await client.ok({ type: 'session.login', ...ANN })).token;
    const listed = await client.ok({ type: 'entry.list', token });
    assert.deepEqual(listed.entries.map((entry: { name: string }) => entry.name), ['a3']);
    assert.deepEqual(listed.damaged.map((entry: { entryId: string }) => entry.entryId).sort(), [annEntryIds['a1'], annEntryIds['a2'], 'entry_planted'].sort());
    assert.equal(await client.fails({ type: 'entry.get', token, name: 'a1' }), 'ENTRY_NOT_FOUND');
    await stop();
  });

  it('finds an entry document copied under another user, or under another name of its own book, damaged (online and offline)', async () => {
    const { dataDir, annEntryIds } = await twoBooks();
    const copies: string[] = [];
    await rewriteStored(dataDir, 'book.entries', (entries) => {
      const { document } = entriesOf(entries, 'ann')[annEntryIds['a1']!]!;
      const [bobEntry] = Object.values(entriesOf(entries, 'bob'));
      // Under bob's own tag for 'b1' (his entry moves aside), and under ann's tag for 'a2' (hers too).
      copies.push(bobEntry!.key, entriesOf(entries, 'ann')[annEntryIds['a2']!]!.key);
      for (const key of copies) entries[key] = structuredClone(document);
    });
    const stored = await storedDocuments(dataDir, 'book.entries');
    for (const key of copies) assert.equal(checkEntryDocument(key, stored[key]).damaged, true);
    const { client, stop } = await bookHost(dataDir);
    const ann = (await client.ok({ type: 'session.login', ...ANN })).token;
    const bob = (await client.ok({ type: 'session.login', ...BOB })).token;
    const bobs = await client.ok({ type: 'entry.list', token: bob });
    assert.deepEqual(bobs.entries, []);
    assert.deepEqual(bobs.damaged.map((entry: { entryId: string }) => entry.entryId), [annEntryIds['a1']]);
    assert.equal(await client.fails({ type: 'entry.get', token: bob, name: 'b1' }), 'ENTRY_NOT_FOUND');
    const anns = await client.ok({ type: 'entry.list', token: ann });
    assert.deepEqual(anns.entries.map((entry: { name: string }) => entry.name), ['a1', 'a3']);
    assert.deepEqual(anns.damaged.map((entry: { entryId: string }) => entry.entryId), [annEntryIds['a1']]);
    assert.equal(await client.fails({ type: 'entry.get', token: ann, name: 'a2' }), 'ENTRY_NOT_FOUND');
    assert.equal((await client.ok({ type: 'entry.get', token: ann, name: 'a1' })).password, 'a1-secret');
    // The name's place is free again: a new entry goes there, the damaged copy moves aside, still listed.
    await client.ok({ type: 'entry.add', token: ann, name: 'a2', password: 'a2-again' });
    assert.equal((await client.ok({ type: 'entry.get', token: ann, name: 'a2' })).password, 'a2-again');
    assert.deepEqual((await client.ok({ type: 'entry.list', token: ann })).damaged.map((entry: { entryId: string }) => entry.entryId), [annEntryIds['a1']]);
    await stop();
  });

  it('refuses a delete by an id two documents answer to, deleting neither, and names how many', async () => {
    const { dataDir, annEntryIds } = await twoBooks();
    const id = annEntryIds['a1']!;
    await rewriteStored(dataDir, 'book.entries', (entries) => {
      // A copy of a1 under a key that is not its tag: damaged, yet it answers to a1's id.
      entries[groupKey('ann', 'damaged-copy')] = structuredClone(entriesOf(entries, 'ann')[id]!.document);
    });
    const { client, stop } = await bookHost(dataDir);
    const token = (await client.ok({ type: 'session.login', ...ANN })).token;
    const refused = await client.call({ type: 'entry.delete', token, entryId: id });
    assert.equal(refused.error?.code, 'ENTRY_ID_AMBIGUOUS');
    assert.match(refused.error?.message, /^2 entries have the id .*1 intact, 1 damaged/);
    assert.equal((await client.ok({ type: 'entry.get', token, name: 'a1' })).password, 'a1-secret');
    assert.deepEqual((await client.ok({ type: 'entry.list', token })).damaged.map((entry: { entryId: string }) => entry.entryId), [id]);
    // Once the intact one is gone (by name), the id is one document's again.
    await client.ok({ type: 'entry.delete', token, name: 'a1' });
    assert.deepEqual(await client.ok({ type: 'entry.delete', token, entryId: id }), {});
    assert.deepEqual((await client.ok({ type: 'entry.list', token })).damaged, []);
    await stop();
  });

  it('keeps two damaged documents that claim one id apart when both move aside, under keys of bounded length', async () => {
    const { dataDir, annEntryIds } = await twoBooks();
    await rewriteStored(dataDir, 'book.entries', (entries) => {
      const ann = entriesOf(entries, 'ann');
      const copy = ann[annEntryIds['a1']!]!.document;
      // Two damaged copies of a1 (one of them altered) in the places of a2 and a3, each with an id far past a key's length.
      const longId = 'x'.repeat(2000);
      entries[ann[annEntryIds['a2']!]!.key] = { ...structuredClone(copy), entryId: longId };
      entries[ann[annEntryIds['a3']!]!.key] = { ...structuredClone(copy), entryId: longId, createdAt: 7 };
    });
    const { client, stop } = await bookHost(dataDir);
    const token = (await client.ok({ type: 'session.login', ...ANN })).token;
    await client.ok({ type: 'entry.add', token, name: 'a2', password: 'new a2' });
    await client.ok({ type: 'entry.add', token, name: 'a3', password: 'new a3' });
    const listed = await client.ok({ type: 'entry.list', token });
    assert.deepEqual(listed.entries.map((entry: { name: string }) => entry.name), ['a1', 'a2', 'a3']);
    // Each listed by a stand-in a request can name (the ids themselves are too long for one), and deletable by it.
    const ids = listed.damaged.map((entry: { entryId: string }) => entry.entryId);
    assert.equal(ids.length, 2);
    for (const id of ids) assert.match(id, /^damaged-[0-9a-f]{12}$/);
    assert.deepEqual(await client.ok({ type: 'entry.delete', token, entryId: ids[0] }), {});
    assert.equal((await client.ok({ type: 'entry.list', token })).damaged.length, 1);
    await stop();
    const keys = Object.keys(await storedDocuments(dataDir, 'book.entries')).filter((key) => key.startsWith('ann\u0000damaged-'));
    assert.equal(keys.length, 1);
    for (const key of keys) assert.match(key.slice('ann\u0000'.length), /^damaged-[0-9a-f]{64}$/);
  });

  it('splits a version-1 book whose damaged entry has an id past a key’s length: the login succeeds, the entry is listed', async () => {
    const { dataDir, annEntryIds } = await twoBooks();
    await makeWholeBook(dataDir, 'ann', { digests: true });
    const longId = 'y'.repeat(2000);
    await rewriteStored(dataDir, 'book.users', (users) => {
      const { entries } = users['ann'];
      entries[longId] = entries[annEntryIds['a3']!];
      delete entries[annEntryIds['a3']!];
    });
    const { client, stop } = await bookHost(dataDir);
    const token = (await client.ok({ type: 'session.login', ...ANN })).token;
    const listed = await client.ok({ type: 'entry.list', token });
    assert.deepEqual(listed.entries.map((entry: { name: string }) => entry.name), ['a1', 'a2']);
    const [damaged] = listed.damaged;
    assert.match(damaged.entryId, /^damaged-[0-9a-f]{12}$/);
    assert.deepEqual(await client.ok({ type: 'entry.delete', token, entryId: damaged.entryId }), {});
    await stop();
  });

  it('lists a damaged document with no readable id by a stand-in made from its key, and deletes it by that', async () => {
    const { dataDir, annEntryIds } = await twoBooks();
    let key = '';
    await rewriteStored(dataDir, 'book.entries', (entries) => {
      key = entriesOf(entries, 'ann')[annEntryIds['a2']!]!.key;
      entries[key] = 'not a document';
    });
    const { client, stop } = await bookHost(dataDir);
    const token = (await client.ok({ type: 'session.login', ...ANN })).token;
    const listed = await client.ok({ type: 'entry.list', token });
    assert.deepEqual(listed.damaged.map((entry: { entryId: string }) => entry.entryId), [unreadableEntryId(key)]);
    assert.ok(!JSON.stringify(listed).includes(key.slice(4)), 'the tag is not in the reply');
    assert.deepEqual(await client.ok({ type: 'entry.delete', token, entryId: unreadableEntryId(key) }), {});
    assert.deepEqual((await client.ok({ type: 'entry.list', token })).damaged, []);
    await stop();
  });

  it('splits a book written before digests at its owner’s login: the entries that open are digested, the one that does not stays damaged', async () => {
    const { dataDir, annEntryIds } = await twoBooks();
    await makeWholeBook(dataDir, 'ann', { digests: false });
    await rewriteStored(dataDir, 'book.users', (users) => {
      const bad = users['ann'].entries[annEntryIds['a3']!];
      bad.sealed.data = flipBase64(bad.sealed.data, 5);
    });
    assert.deepEqual(checkBookDocument('ann', (await storedDocuments(dataDir, 'book.users'))['ann']), {
      username: 'ann',
      recordDamaged: false,
      wholeBook: true,
      credentialsDamaged: false,
      damagedEntries: [],
      unchecked: 4,
    });
    const { client, stop } = await bookHost(dataDir);
    const token = (await client.ok({ type: 'session.login', ...ANN })).token;
    const listed = await client.ok({ type: 'entry.list', token });
    assert.deepEqual(listed.entries.map((entry: { name: string }) => entry.name), ['a1', 'a2']);
    assert.deepEqual(listed.damaged.map((entry: { entryId: string }) => entry.entryId), [annEntryIds['a3']]);
    await client.ok({ type: 'entry.add', token, name: 'a4', password: 'p' });
    await stop();
    // Opened and intact: digested now, credentials too. The one that failed to open moved as it was, never blessed.
    const user = checkBookDocument('ann', (await storedDocuments(dataDir, 'book.users'))['ann']);
    assert.deepEqual(user, { username: 'ann', recordDamaged: false, wholeBook: false, credentialsDamaged: false, damagedEntries: [], unchecked: 0 });
    const checks = Object.entries(await storedDocuments(dataDir, 'book.entries'))
      .map(([key, document]) => checkEntryDocument(key, document))
      .filter((check) => check.username === 'ann');
    assert.deepEqual(checks.filter((check) => check.damaged).map((check) => check.entryId), [annEntryIds['a3']]);
    assert.equal(checks.length, 4);
  });
});

describe('a damaged user record is contained to its user', () => {
  it('fails only that user’s login, with CREDENTIALS_DAMAGED, whichever credential field was hit', async () => {
    const { dataDir } = await twoBooks();
    for (const damage of [
      (bob: any) => (bob.passwordHash = bob.passwordHash.replace(/.$/, (last: string) => (last === 'A' ? 'B' : 'A'))),
      (bob: any) => (bob.wrappedKey.data = flipBase64(bob.wrappedKey.data)),
      (bob: any) => (bob.keyDerivation.salt = flipBase64(bob.keyDerivation.salt)),
      (bob: any) => (bob.keyDerivation = 'garbled'),
    ]) {
      const before = (await storedDocuments(dataDir, 'book.users'))['bob'];
      await rewriteStored(dataDir, 'book.users', (users) => damage(users['bob']));
      const { client, stop } = await bookHost(dataDir);
      assert.equal(await client.fails({ type: 'session.login', ...BOB }), 'CREDENTIALS_DAMAGED');
      const token = (await client.ok({ type: 'session.login', ...ANN })).token;
      assert.equal((await client.ok({ type: 'entry.get', token, name: 'a1' })).password, 'a1-secret');
      await stop();
      const users = await storedDocuments(dataDir, 'book.users');
      assert.equal(checkBookDocument('bob', users['bob']).credentialsDamaged, true);
      assert.equal(checkBookDocument('ann', users['ann']).credentialsDamaged, false);
      await rewriteStored(dataDir, 'book.users', (all) => (all['bob'] = before));
    }
  });

  it('finds a user record that is not a book at all, without throwing', () => {
    for (const document of [null, 'text', [], { username: 'someone-else', entries: {} }, { username: 'bob', entries: 'none' }, { username: 'bob', version: 3 }, { username: 'bob' }]) {
      const check = checkBookDocument('bob', document);
      assert.equal(check.recordDamaged, true, JSON.stringify(document));
    }
  });
});

describe('an entry document checked offline', () => {
  it('finds one that is not an entry document, or not under its own key, without throwing', () => {
    const tag = 'a'.repeat(64);
    const key = groupKey('ann', tag);
    for (const [where, document] of [
      [key, null],
      [key, 'text'],
      [key, []],
      [key, { entryId: 'entry-1' }],
      [key, { entryId: 'entry-1', nameTag: 'b'.repeat(64), sealed: { iv: '', data: '' }, createdAt: 1, updatedAt: 1, entryDigest: 'x' }],
      ['no group at all', { entryId: 'entry-1', nameTag: tag }],
    ] as const) {
      assert.equal(checkEntryDocument(where, document).damaged, true, JSON.stringify(document));
    }
    assert.deepEqual(checkEntryDocument(groupKey('ann', 'damaged-entry-7'), { stored: 'garbage', entryId: 'entry-7' }), { username: 'ann', entryId: 'entry-7', damaged: true });
    // No readable id: a stand-in made from the key, the same one the book lists, never the key's tag in clear.
    const unreadable = checkEntryDocument(groupKey('ann', tag), 42);
    assert.deepEqual(unreadable, { username: 'ann', entryId: unreadableEntryId(groupKey('ann', tag)), damaged: true });
    assert.match(unreadable.entryId, /^damaged-[0-9a-f]{12}$/);
  });
});

describe('entry documents whose user is gone', () => {
  it('are reported by the offline check, by id and user', async () => {
    const { dataDir } = await twoBooks();
    assert.deepEqual((await checkDataDir(dataDir)).damage, []);
    await rewriteStored(dataDir, 'book.users', (users) => delete users['bob']);
    const report = await checkDataDir(dataDir);
    assert.deepEqual(report.damage, [{ kind: 'entry', what: 'entry entry-1-4 of bob', reason: 'belongs to no user' }]);
    assert.equal(report.checked.entries, 4);
  });
});

describe('a damaged inbox record is contained to itself', () => {
  it('lists it apart, files the intact ones around it, and is found offline', async () => {
    const dataDir = await tempDir('damage');
    const first = await bookHost(dataDir);
    await first.client.ok({ type: 'user.register', ...ANN });
    await first.client.call({ message: 'save_password', password: 'older' });
    first.clock.advance(1_000);
    await first.client.call({ message: 'save_password', password: 'newer' });
    await first.stop();
    const pendingBefore = await storedDocuments(dataDir, 'book.pending');
    for (const [pendingId, record] of Object.entries(pendingBefore)) assert.equal(checkPendingDocument(pendingId, record), 'intact');
    const newest = Object.values(pendingBefore).sort((a, b) => b.receivedAt - a.receivedAt)[0].pendingId as string;
    await rewriteStored(dataDir, 'book.pending', (pending) => (pending[newest].sealed.data = flipBase64(pending[newest].sealed.data, 2)));
    assert.equal(checkPendingDocument(newest, (await storedDocuments(dataDir, 'book.pending'))[newest]), 'damaged');
    assert.equal(checkPendingDocument('other-id', (await storedDocuments(dataDir, 'book.pending'))[newest]), 'damaged');

    const { client, stop } = await bookHost(dataDir);
    const token = (await client.ok({ type: 'session.login', ...ANN })).token;
    const listed = await client.ok({ type: 'pending.list', token });
    assert.equal(listed.pending.length, 1);
    assert.deepEqual(listed.damaged.map((record: { pendingId: string }) => record.pendingId), [newest]);
    assert.equal(await client.fails({ type: 'pending.file', token, name: 'bad', pendingId: newest }), 'VAULT_INTEGRITY');
    await client.ok({ type: 'pending.file', token, name: 'good' });
    assert.equal((await client.ok({ type: 'entry.get', token, name: 'good' })).password, 'older');
    await stop();
  });
});
