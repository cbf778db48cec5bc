import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/temp-dir.ts';
import { run, spawnSafekeep, type SafekeepProcess } from '../helpers/safekeep-process.ts';

const OPS_CLIENT = fileURLToPath(new URL('./clients/ops_client.py', import.meta.url));

describe('every backup operation from a Python client (plain socket module), against a real server process', () => {
  let root: string;
  let allowed: string;
  let server: SafekeepProcess;
  let port: number;
  const text = async (line: string) => {
    const { code, stdout, stderr } = await run('python3', [OPS_CLIENT, String(port), 'text', line]);
    assert.equal(code, 0, stderr);
    return stdout.replace(/\n$/, '').split('\n');
  };
  const json = async (message: Record<string, unknown>) => {
    const { code, stdout, stderr } = await run('python3', [OPS_CLIENT, String(port), 'json', JSON.stringify(message)]);
    assert.equal(code, 0, stderr);
    return JSON.parse(stdout) as Record<string, any>;
  };

  before(async () => {
    root = await tempDir('ops-python');
    allowed = path.join(root, 'allowed');
    await mkdir(allowed);
    await writeFile(path.join(root, 'notes.json'), '{"v": 1}');
    server = spawnSafekeep(['--source', 'notes.json', '--interval', '60', '--port', '0', '--allow', allowed], root);
    port = await server.port();
    await server.waitFor('stderr', /\[notes\.json\] done/);
  });

  after(() => server.stop());

  it('status and backup.status', async () => {
    const lines = await text('status');
    assert.match(lines[0] as string, /^1 job; safekeep /);
    assert.match(lines[1] as string, /^notes\.json: file .*notes\.json every 1m; (scheduled|copying); last run .* copied notes\.json@1 /);
    const reply = await json({ type: 'backup.status', id: 1 });
    assert.equal(reply.ok, true);
    assert.equal(reply.result.jobs[0].id, 'notes.json');
  });

  it('backup, versions and revert JOB VERSION, in both dialects', async () => {
    await writeFile(path.join(root, 'notes.json'), '{"v": 2}');
    assert.deepEqual(await text('backup'), ['Backup completed']);
    assert.equal((await json({ type: 'backup.run' })).result.outcome, 'unchanged');
    const versions = await text('versions notes.json');
    assert.equal(versions[0], '2 versions of notes.json, newest first:');
    assert.equal((await json({ type: 'backup.versions', job: 'notes.json' })).result.versions.length, 2);
    const [older] = await text('revert notes.json 1');
    assert.equal(await readFile(older as string, 'utf8'), '{"v": 1}');
    assert.equal((await json({ type: 'backup.revert', job: 'notes.json', version: 'notes.json@1' })).result.version.path, older);
  });

  it('restore an older version and undo it, then restore to a new path', async () => {
    const source = path.join(root, 'notes.json');
    await writeFile(source, '{"v": 3}');
    const [restored] = await text('restore notes.json 1');
    const kept = /kept as (\S+)\.$/.exec(restored as string)?.[1];
    assert.ok(kept, restored);
    assert.equal(await readFile(source, 'utf8'), '{"v": 1}');
    const undo = await json({ type: 'backup.restore', job: 'notes.json', version: kept });
    assert.equal(undo.ok, true, JSON.stringify(undo));
    assert.equal(await readFile(source, 'utf8'), '{"v": 3}');
    const target = path.join(allowed, 'copy of notes.json');
    assert.deepEqual(await text(`restore notes.json 1 ${target}`), [`Restored notes.json@1 to ${target}; nothing there needed keeping.`]);
    assert.equal(await readFile(target, 'utf8'), '{"v": 1}');
    assert.equal((await json({ type: 'backup.restore', target })).error.code, 'TARGET_EXISTS');
  });

  it('add, pause, resume and remove, and paths outside --allow refused', async () => {
    const todo = path.join(allowed, 'todo.md');
    await writeFile(todo, '- one\n');
    assert.deepEqual(await text(`add ${todo} 30s`), [`Added todo.md: ${todo} every 30s.`]);
    assert.deepEqual(await text('pause todo.md'), ['Paused todo.md.']);
    assert.deepEqual((await json({ type: 'job.resume', job: 'todo.md' })).result, { jobId: 'todo.md' });
    assert.equal((await json({ type: 'job.remove', job: 'todo.md', forget: true })).ok, true);
    assert.match((await text(`add ${allowed}/../notes.json`))[0] as string, /^Error \(PATH_NOT_ALLOWED\)/);
    assert.equal((await json({ type: 'job.add', source: '/etc/passwd' })).error.code, 'PATH_NOT_ALLOWED');
    assert.deepEqual(await text('remove todo.md now'), ["Invalid request command 'remove todo.md now' sent."]);
  });
});
