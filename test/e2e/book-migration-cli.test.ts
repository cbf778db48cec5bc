import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { withPendingDigest } from '../../src/book/book-digests.ts';
import type { PendingRecord } from '../../src/book/book-records.ts';
import { JsonClient } from '../helpers/json-client.ts';
import { run, SAFEKEEP_ARGV, spawnSafekeep } from '../helpers/safekeep-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

// test/fixtures/data-dir-v1/README.md: who is in it, with which master passwords and entries.
const FIXTURE = path.resolve(import.meta.dirname, '../fixtures/data-dir-v1/data');
const ANN = { username: 'ann', masterPassword: 'correct horse battery staple' };

/** Starts the real CLI on `dataDir`, logs ann in over the socket, and hands both to `use`; stops it after. */
async function withService(root: string, dataDir: string, use: (client: JsonClient, token: string) => Promise<void>): Promise<void> {
  const server = spawnSafekeep(['--port', '0', '--data-dir', dataDir], root);
  const client = await JsonClient.connect(await server.port());
  try {
    await use(client, (await client.ok({ type: 'session.login', ...ANN })).token as string);
  } finally {
    client.close();
    const exit = await server.stop();
    assert.equal(exit.code, 0, server.stderr);
  }
}

/**
 * The inbox keeps a generated password an hour, and the fixture's was received when the fixture was made: it is
 * received again now, edited in the old layout's own shard file (through the store would migrate the layout first).
 */
async function receivedNow(pendingDir: string): Promise<void> {
  for (const name of (await readdir(pendingDir)).filter((file) => file.startsWith('shard-'))) {
    const shard = JSON.parse(await readFile(path.join(pendingDir, name), 'utf8'));
    for (const [pendingId, record] of Object.entries(shard.documents)) shard.documents[pendingId] = withPendingDigest({ ...(record as PendingRecord), receivedAt: Date.now() });
    await writeFile(path.join(pendingDir, name), JSON.stringify(shard));
  }
}

const passwords = async (client: JsonClient, token: string) => {
  const book: Record<string, string> = {};
  for (const { name } of (await client.ok({ type: 'entry.list', token })).entries) book[name] = (await client.ok({ type: 'entry.get', token, name })).password;
  return book;
};

describe('the safekeep command on a data directory from before entry documents', () => {
  it('serves the old books, splits ann’s at her login, keeps it across a restart, and `safekeep check` finds nothing wrong before or after', async () => {
    const root = await tempDir('v1-cli');
    const dataDir = path.join(root, 'data');
    await cp(FIXTURE, dataDir, { recursive: true });
    await receivedNow(path.join(dataDir, 'store', 'book.pending'));
    const check = () => run(process.execPath, [...SAFEKEEP_ARGV, 'check', '--data-dir', dataDir], { cwd: root });
    const before = await check();
    assert.equal(before.code, 0, before.stdout + before.stderr);
    assert.match(before.stdout, /3 users with 4 entries, 1 inbox password: nothing damaged\./);

    await withService(root, dataDir, async (client, token) => {
      assert.deepEqual(await client.call({ message: 'number_of_users' }), { message: 'return_number_of_users', number_of_users: 3 });
      assert.deepEqual(await passwords(client, token), { bank: 'bank-password-2', 'home wifi': 'wifi-password-3', mail: 'mail-password-1' });
      await client.ok({ type: 'pending.file', token, name: 'generated' });
    });
    await withService(root, dataDir, async (client, token) => {
      assert.equal((await passwords(client, token))['generated'], 'generated-pending-5');
      assert.deepEqual(await client.call({ message: 'check_users' }), { message: 'return_check_users', users: [{ username: 'ann' }, { username: 'bob' }, { username: 'carol' }] });
    });
    const after = await check();
    assert.equal(after.code, 0, after.stdout + after.stderr);
    assert.match(after.stdout, /3 users with 5 entries, 0 inbox passwords: nothing damaged\./);
  });
});
