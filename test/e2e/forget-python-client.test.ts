import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/temp-dir.ts';
import { run, spawnSafekeep, type SafekeepProcess } from '../helpers/safekeep-process.ts';

const FORGET_CLIENT = fileURLToPath(new URL('./clients/forget_client.py', import.meta.url));

describe('forget from a Python client, against a real server process started with --keep-* flags', () => {
  let root: string;
  let server: SafekeepProcess;
  let port: number;
  const client = (dialect: 'text' | 'json', request: string) => run('python3', [FORGET_CLIENT, String(port), dialect, request]);
  const versionFiles = async () => (await readdir(path.join(root, 'safekeep-data', 'backups', 'notes.json'))).filter((name) => !name.startsWith('.'));

  before(async () => {
    root = await tempDir('forget-python');
    await writeFile(path.join(root, 'notes.json'), 'v1');
    server = spawnSafekeep(['--source', 'notes.json', '--interval', '1h', '--keep-last', '10', '--keep-daily', '7', '--port', '0'], root);
    port = await server.port();
    await server.waitFor('stderr', /\[notes\.json\] done/);
    for (const content of ['v2', 'v3', 'v4']) {
      await writeFile(path.join(root, 'notes.json'), content);
      assert.equal((await client('text', 'backup')).stdout, 'Backup completed\n');
    }
  });

  after(() => server.stop());

  it("keeps everything under the job's own policy, and says so in one line", async () => {
    assert.equal((await client('text', 'forget notes.json')).stdout, 'Removed 0 versions.\n');
    assert.equal((await versionFiles()).length, 4);
  });

  it('lists what a dry run would remove, newest first, and removes nothing', async () => {
    const { stdout } = await client('text', 'forget notes.json --keep-last 2 --dry-run');
    const lines = stdout.split('\n');
    assert.equal(lines[0], 'Would remove 2 versions:');
    assert.match(lines[1] ?? '', /^notes\.json@2 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z not-kept$/);
    assert.match(lines[2] ?? '', /^notes\.json@1 /);
    assert.equal((await versionFiles()).length, 4);
  });

  it('removes over the JSON dialect and reports what it kept and why', async () => {
    const { stdout } = await client('json', JSON.stringify({ type: 'backup.forget', id: 'py', job: 'notes.json', policy: { last: 3 } }));
    const reply = JSON.parse(stdout) as { id: string; ok: boolean; result: { kept: { versionId: string }[]; removed: { versionId: string; reason: string }[] } };
    assert.equal(reply.id, 'py');
    assert.equal(reply.ok, true);
    assert.deepEqual(reply.result.kept.map((kept) => kept.versionId), ['notes.json@4', 'notes.json@3', 'notes.json@2']);
    assert.deepEqual(reply.result.removed.map((removed) => [removed.versionId, removed.reason]), [['notes.json@1', 'not-kept']]);
    assert.equal((await versionFiles()).length, 3);
  });

  it('gets the same error codes as any client for a malformed forget', async () => {
    assert.equal((await client('text', 'forget nope')).stdout, "Error (UNKNOWN_JOB): There is no backup job 'nope'\n");
    assert.match((await client('text', 'forget notes.json --keep-daily -1')).stdout, /^Error \(INVALID_RETENTION_POLICY\)/);
    const reply = JSON.parse((await client('json', JSON.stringify({ type: 'backup.forget', job: 'notes.json', dryRun: 'no' }))).stdout) as { error: { code: string } };
    assert.equal(reply.error.code, 'INVALID_FIELD');
  });
});
