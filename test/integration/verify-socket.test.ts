import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { collect, startTestHost, writeSource } from '../helpers/host-harness.ts';
import { TestClient } from '../helpers/test-client.ts';
import { JsonClient } from '../helpers/json-client.ts';

async function flipFirstByte(filePath: string): Promise<void> {
  const file = await open(filePath, 'r+');
  const byte = Buffer.alloc(1);
  await file.read(byte, 0, 1, 0);
  byte[0] = (byte[0] as number) ^ 0xff;
  await file.write(byte, 0, 1, 0);
  await file.close();
}

async function servedHost() {
  const root = await tempDir('verify-socket');
  const source = await writeSource(root, 'notes.json', '{"v":1}');
  const { host, clock } = await startTestHost(path.join(root, 'data'), {
    jobs: [{ sourcePath: source, intervalMs: 60_000 }],
    socket: { host: '127.0.0.1', port: 0 },
  });
  const completed = collect(host, 'backup.completed');
  clock.advance(0);
  const first = await completed.next();
  return { host, port: host.address!.port, version: first.version };
}

describe('verify over a real socket', () => {
  it('answers the text word with the exact reply, bare for a bare request and a line for a line', async () => {
    const { host, port, version } = await servedHost();
    const client = await TestClient.connect(port);
    client.send('verify');
    assert.equal(await client.recv(), 'Verified 1 version: 0 damaged.');
    await flipFirstByte(version.path);
    client.send('VERIFY\n');
    assert.deepEqual(await client.lines(1), ['Verified 1 version: 1 damaged.']);
    client.send('revert\n');
    assert.deepEqual(await client.lines(1), ['No backup found.'], 'the damaged version is never offered');
    client.send('verify now\n');
    assert.deepEqual(await client.lines(1), ["Invalid request command 'verify now' sent."]);
    client.destroy();
    await host.stop();
  });

  it('answers the typed JSON message with per-version results, and refuses a malformed one', async () => {
    const { host, port, version } = await servedHost();
    await flipFirstByte(version.path);
    const client = await JsonClient.connect(port);
    const reply = await client.call({ type: 'backup.verify', id: 9 });
    assert.equal(reply.id, 9);
    assert.equal(reply.type, 'backup.verify');
    assert.equal(reply.ok, true);
    assert.equal(reply.result.checked, 1);
    assert.equal(reply.result.damaged, 1);
    assert.deepEqual(Object.keys(reply.result.versions[0]).sort(), ['actualSha256', 'damaged', 'expectedSha256', 'jobId', 'path', 'reason', 'versionId']);
    assert.equal(reply.result.versions[0].versionId, version.id);
    assert.equal(reply.result.versions[0].reason, 'content-mismatch');
    assert.equal(await client.fails({ type: 'backup.verify', id: 10, deep: true }), 'INVALID_FIELD');
    assert.equal((await client.call({ type: 'users.count' })).ok, true, 'the connection still works');
    client.close();
    await host.stop();
  });
});
