import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/temp-dir.ts';
import { run, spawnSafekeep, type SafekeepProcess } from '../helpers/safekeep-process.ts';

const SEED_CLIENT = fileURLToPath(new URL('./clients/seed_backup_client.py', import.meta.url));

describe('a Python client written as the backup seed shows, against a real server process', () => {
  let root: string;
  let server: SafekeepProcess;
  let port: number;
  const client = (...args: string[]) => run('python3', [SEED_CLIENT, String(port), ...args]);

  before(async () => {
    root = await tempDir('seed-backup');
    await writeFile(path.join(root, 'notes.json'), '{"todo": ["write tests"]}');
    server = spawnSafekeep(['--source', 'notes.json', '--interval', '60', '--port', '0'], root);
    port = await server.port();
    await server.waitFor('stderr', /\[notes\.json\] done/);
  });

  after(() => server.stop());

  it('gets exactly the absolute path of the newest backup for "revert"', async () => {
    const { code, stdout } = await client('revert');
    assert.equal(code, 0);
    assert.ok(path.isAbsolute(stdout), `not an absolute path: ${JSON.stringify(stdout)}`);
    assert.ok(stdout.startsWith(path.join(root, 'safekeep-data', 'backups', 'notes.json') + path.sep));
    assert.equal(path.extname(stdout), '.json');
    assert.equal(await readFile(stdout, 'utf8'), '{"todo": ["write tests"]}');
  });

  it('gets the same answer for "Revert"', async () => {
    const lower = await client('revert');
    const upper = await client('Revert');
    assert.equal(upper.stdout, lower.stdout);
  });

  it('runs a backup with "backup" and then reverts to the new copy', async () => {
    await writeFile(path.join(root, 'notes.json'), '{"todo": []}');
    assert.equal((await client('backup')).stdout, 'Backup completed');
    const { stdout } = await client('revert');
    assert.equal(await readFile(stdout, 'utf8'), '{"todo": []}');
  });

  it('gets the original invalid reply for any other word', async () => {
    assert.equal((await client('hello')).stdout, "Invalid request command 'hello' sent.");
  });
});
