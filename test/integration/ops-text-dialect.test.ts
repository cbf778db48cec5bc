import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { startOpsHost } from '../helpers/ops-host.ts';
import { TestClient } from '../helpers/test-client.ts';

const ISO = '\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z';

describe('every backup operation over the text dialect, against a real server', () => {
  it('status: a first line saying how many job lines follow, with the version and uptime, then one line per job', async () => {
    const ops = await startOpsHost();
    ops.clock.advance(5_000);
    const lines = await ops.text('status');
    assert.equal(lines.length, 2);
    assert.match(lines[0] as string, new RegExp(`^1 job; safekeep \\d+\\.\\d+\\.\\d+\\S*, started ${ISO}, up 5s:$`));
    assert.match(lines[1] as string, new RegExp(`^notes\\.json: file ${ops.source} every 1m; scheduled; last run ${ISO} copied notes\\.json@1 in 0ms; next run ${ISO}; 1 version, 7 bytes$`));
    await ops.stop();
  });

  it('versions: newest first, one line each after a count line, for the default job or a named one', async () => {
    const ops = await startOpsHost();
    await writeFile(ops.source, '{"v":2}');
    await ops.host.runBackup();
    const lines = await ops.text('versions notes.json');
    assert.equal(lines[0], '2 versions of notes.json, newest first:');
    assert.match(lines[1] as string, new RegExp(`^notes\\.json@2 ${ISO} 7 bytes sha256 [0-9a-f]{64} file$`));
    assert.match(lines[2] as string, /^notes\.json@1 /);
    assert.deepEqual(await ops.text('versions'), lines);
    await ops.stop();
  });

  it('backup and revert as the seed had them, and revert JOB VERSION by number or id for an older one', async () => {
    const ops = await startOpsHost();
    await writeFile(ops.source, '{"v":2}');
    assert.deepEqual(await ops.text('backup'), ['Backup completed']);
    const [newest] = await ops.text('revert');
    assert.equal(await readFile(newest as string, 'utf8'), '{"v":2}');
    const [older] = await ops.text('revert notes.json 1');
    assert.equal(older, ops.first.path);
    assert.deepEqual(await ops.text('revert notes.json notes.json@1'), [ops.first.path]);
    assert.deepEqual(await ops.text('revert notes.json 7'), ["Error (UNKNOWN_VERSION): The job 'notes.json' has no version '7'"]);
    assert.deepEqual(await ops.text('revert nope 1'), ["Error (UNKNOWN_JOB): There is no backup job 'nope'"]);
    await ops.stop();
  });

  it('revert with no arguments is byte-identical to the seed: a bare word gets exactly the path', async () => {
    const ops = await startOpsHost();
    const client = await TestClient.connect(ops.port);
    client.send('revert');
    assert.equal(await client.recv(), ops.first.path);
    client.destroy();
    await ops.stop();
  });

  it('restore: puts an older version back over the source, keeping what was there as a new version', async () => {
    const log = new PassThrough();
    const lines: string[] = [];
    log.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
    const ops = await startOpsHost({ console: { out: log } });
    await writeFile(ops.source, '{"v":2}');
    const [reply] = await ops.text('restore notes.json 1');
    assert.ok(lines.some((line) => line.endsWith(`[notes.json] restored notes.json@1 to ${ops.source}; what was there is kept as notes.json@2`)), lines.join('\n'));
    assert.equal(reply, `Restored notes.json@1 to ${ops.source}; what was there is kept as notes.json@2.`);
    assert.equal(await readFile(ops.source, 'utf8'), '{"v":1}');
    await ops.stop();
  });

  it('restore to a new path with spaces inside an allowed folder, and a bare request gets a bare reply', async () => {
    const ops = await startOpsHost();
    const target = path.join(ops.allowed, 'old notes copy.json');
    const client = await TestClient.connect(ops.port);
    client.send(`restore notes.json newest ${target}`);
    assert.equal(await client.recv(), `Restored notes.json@1 to ${target}; nothing there needed keeping.`);
    assert.equal(await readFile(target, 'utf8'), '{"v":1}');
    client.destroy();
    await ops.stop();
  });

  it('add, pause, resume and remove a job', async () => {
    const ops = await startOpsHost();
    const todo = path.join(ops.allowed, 'todo list.md');
    await writeFile(todo, '- one\n');
    assert.deepEqual(await ops.text(`add ${todo} 5m`), [`Added todo-list.md: ${todo} every 5m.`]);
    assert.deepEqual(await ops.text(`add ${todo}`), [`Added todo-list.md: ${todo} every 5m.`], 'added again without an interval: it keeps its own');
    assert.deepEqual(await ops.text('backup todo-list.md'), ['Backup completed']);
    assert.deepEqual(await ops.text('pause todo-list.md'), ['Paused todo-list.md.']);
    assert.match((await ops.text('status'))[2] as string, /^todo-list\.md: .*; paused; /);
    assert.deepEqual(await ops.text('resume todo-list.md'), ['Resumed todo-list.md.']);
    assert.deepEqual(await ops.text('remove todo-list.md'), ['Removed todo-list.md; its 1 version kept.']);
    assert.match((await ops.text('status'))[2] as string, /^todo-list\.md: .*; removed; .*next run none; 1 version, /);
    assert.deepEqual(await ops.text('remove todo-list.md forget'), ['Removed todo-list.md and forgot its 1 version.']);
    assert.equal((await ops.text('status'))[0]?.startsWith('1 job;'), true);
    await ops.stop();
  });
});
