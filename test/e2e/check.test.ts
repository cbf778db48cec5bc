import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Secret } from '../../src/secret/secret.ts';
import { entriesOf, flipBase64, rewriteStored, storedDocuments } from '../helpers/book-store-files.ts';
import { startTestHost, writeSource } from '../helpers/host-harness.ts';
import { run, SAFEKEEP_ARGV, spawnSafekeep } from '../helpers/safekeep-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const MASTER = new Secret('correct horse battery staple');
const check = (args: string[], cwd: string) => run(process.execPath, [...SAFEKEEP_ARGV, 'check', ...args], { cwd });

/** A stopped service's data: two versions of a file, a user with three entries, an inbox password. */
async function populatedDataDir(): Promise<{ root: string; dataDir: string }> {
  const root = await tempDir('check');
  const dataDir = path.join(root, 'data');
  const source = await writeSource(root, 'notes.txt', 'first\n');
  const { host, clock } = await startTestHost(dataDir, { jobs: [{ sourcePath: source, intervalMs: 60_000 }] });
  clock.advance(0);
  await host.runBackup();
  await writeSource(root, 'notes.txt', 'second\n');
  await host.runBackup();
  await host.request('user.register', { username: 'ann', masterPassword: MASTER });
  await host.request('user.register', { username: 'bob', masterPassword: MASTER });
  const { token } = await host.request('session.login', { username: 'ann', masterPassword: MASTER });
  for (const name of ['mail', 'bank', 'router']) await host.request('entry.add', { token, name, password: new Secret(`${name}-pw`) });
  await host.request('pending.add', { password: new Secret('generated-Pa55') });
  await host.stop('test');
  return { root, dataDir };
}

describe('safekeep check', () => {
  it('finds nothing wrong in intact data, exit 0', async () => {
    const { root, dataDir } = await populatedDataDir();
    const { code, stdout, stderr } = await check(['--data-dir', dataDir], root);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /2 versions \(re-hashed\), 2 users with 3 entries, 1 inbox password: nothing damaged\./);
  });

  it('reports every damaged store file, version, catalog record, entry, credential and inbox record, exit 1', async () => {
    const { root, dataDir } = await populatedDataDir();
    const versions = await storedDocuments(dataDir, 'backup.versions');
    const [older, newer] = Object.values(versions).sort((a, b) => a.seq - b.seq) as { id: string; path: string; sha256: string }[];
    // A flipped byte in a version file, same size.
    const bytes = await readFile(newer!.path);
    bytes[0] = (bytes[0] as number) ^ 0x20;
    await writeFile(newer!.path, bytes);
    // An edited catalogued sha256.
    await rewriteStored(dataDir, 'backup.versions', (documents) => {
      documents[older!.id].sha256 = 'f'.repeat(64);
    });
    // One entry's ciphertext, bob's master-password hash, the inbox record.
    let damagedEntry = '';
    await rewriteStored(dataDir, 'book.entries', (documents) => {
      const [entryId, entry] = Object.entries(entriesOf(documents, 'ann'))[1]!;
      damagedEntry = entryId;
      entry.document.sealed.data = flipBase64(entry.document.sealed.data, 5);
    });
    await rewriteStored(dataDir, 'book.users', (documents) => {
      documents['bob'].passwordHash = documents['bob'].passwordHash.replace(/.$/, (last: string) => (last === 'A' ? 'B' : 'A'));
    });
    await rewriteStored(dataDir, 'book.pending', (documents) => {
      const record = Object.values(documents)[0] as { sealed: { data: string } };
      record.sealed.data = flipBase64(record.sealed.data);
    });
    // A job shard that is no longer JSON.
    const jobsDir = path.join(dataDir, 'store', 'backup.jobs');
    const jobShard = path.join(jobsDir, (await readdir(jobsDir)).find((name) => name.startsWith('shard-')) as string);
    await writeFile(jobShard, (await readFile(jobShard, 'utf8')).slice(0, -3));

    const { code, stdout } = await check(['--data-dir', dataDir, '--json'], root);
    assert.equal(code, 1);
    const report = JSON.parse(stdout) as { damage: { kind: string; what: string; reason: string }[] };
    const found = report.damage.map((item) => `${item.kind}: ${item.what}: ${item.reason}`);
    const expect = (pattern: RegExp) => assert.ok(found.some((line) => pattern.test(line)), `${pattern} not in\n${found.join('\n')}`);
    expect(/^store-file: backup\.jobs shard [0-9a-f]{3}: /);
    expect(new RegExp(`^version: version ${newer!.id.replace('.', '\\.')} .*: content-mismatch$`));
    expect(new RegExp(`^version: version ${older!.id.replace('.', '\\.')}.*: record-damaged$`));
    expect(new RegExp(`^entry: entry ${damagedEntry} of ann: `));
    expect(/^credentials: user bob: /);
    expect(/^inbox: inbox password /);
    assert.equal(report.damage.length, 6, found.join('\n'));
    // The same in words, for a person.
    const text = await check(['--data-dir', dataDir], root);
    assert.equal(text.code, 1);
    assert.match(text.stdout, /^DAMAGED version /m);
    assert.match(text.stdout, /6 damaged things\.$/m);
  });

  it('refuses to check under a running service, and says what is wrong with a bad call (exit 2)', async () => {
    const { root, dataDir } = await populatedDataDir();
    const server = spawnSafekeep(['--port', '0', '--data-dir', dataDir], root);
    await server.port();
    const locked = await check(['--data-dir', dataDir], root);
    assert.equal(locked.code, 2);
    assert.match(locked.stderr, /in use by another safekeep process .*\(code DATA_DIR_LOCKED\)/);
    await server.stop();
    assert.equal((await check(['--data-dir', path.join(root, 'nowhere')], root)).code, 2);
    const bogus = await check(['--bogus'], root);
    assert.equal(bogus.code, 2);
    assert.match(bogus.stderr, /Unknown option '--bogus'/);
    assert.equal((await check(['--help'], root)).code, 0);
  });
});
