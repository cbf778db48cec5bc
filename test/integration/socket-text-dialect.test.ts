import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { collect, startTestHost, writeSource } from '../helpers/host-harness.ts';
import { TestClient } from '../helpers/test-client.ts';
import type { Host } from '../../src/host/host.ts';
import type { VirtualClock } from '../../src/clock/virtual-clock.ts';

const MINUTE = 60_000;
const IDLE_MS = 30_000;

describe('the text dialect over a real socket', () => {
  let host: Host;
  let clock: VirtualClock;
  let port: number;
  let source: string;
  let firstPath: string;

  before(async () => {
    const root = await tempDir('socket');
    source = await writeSource(root, 'notes.json', '{"v":1}');
    ({ host, clock } = await startTestHost(path.join(root, 'data'), {
      jobs: [{ sourcePath: source, intervalMs: 60 * MINUTE }],
      socket: { host: '127.0.0.1', port: 0, maxRequestBytes: 4096, idleTimeoutMs: IDLE_MS },
    }));
    port = host.address!.port;
    const completed = collect(host, 'backup.completed');
    clock.advance(0);
    firstPath = (await completed.next()).version.path;
  });

  after(() => host.stop());

  it('listens on the port it was given (0: a free one) and reports it', () => {
    assert.equal(host.address?.host, '127.0.0.1');
    assert.ok(port > 0);
  });

  it('answers a bare revert with exactly the absolute path, no line end', async () => {
    const client = await TestClient.connect(port);
    client.send('revert');
    const reply = await client.recv();
    assert.equal(reply, host.newestVersion()!.path);
    assert.ok(path.isAbsolute(reply));
    assert.equal(await readFile(reply, 'utf8'), await readFile(source, 'utf8'));
    client.destroy();
  });

  it('matches words case-insensitively after trimming', async () => {
    const client = await TestClient.connect(port);
    for (const word of ['Revert', 'REVERT', '  revert\t']) {
      client.send(`${word}\n`);
      assert.deepEqual(await client.lines(1), [host.newestVersion()!.path]);
    }
    client.destroy();
  });

  it('ends the reply with a line end when the request had one (\\n or \\r\\n)', async () => {
    const client = await TestClient.connect(port);
    client.send('revert\r\n');
    assert.equal(await client.recv(), `${host.newestVersion()!.path}\n`);
    client.destroy();
  });

  it('answers several requests sent in one write, in order', async () => {
    const client = await TestClient.connect(port);
    client.send('revert\nhello\nrevert\n');
    assert.deepEqual(await client.lines(3), [host.newestVersion()!.path, "Invalid request command 'hello' sent.", host.newestVersion()!.path]);
    client.destroy();
  });

  it('answers several requests sent one after the other on one connection', async () => {
    const client = await TestClient.connect(port);
    for (let i = 0; i < 5; i++) {
      client.send('revert');
      assert.equal(await client.recv(), host.newestVersion()!.path);
    }
    client.destroy();
  });

  it('runs a backup on request and replies once the copy is durable', async () => {
    await writeFile(source, '{"v":2, "more": true}');
    const client = await TestClient.connect(port);
    client.send('backup\n');
    assert.deepEqual(await client.lines(1), ['Backup completed']);
    const newest = host.newestVersion()!;
    assert.notEqual(newest.path, firstPath);
    assert.equal(await readFile(newest.path, 'utf8'), '{"v":2, "more": true}');
    client.send('revert\n');
    assert.deepEqual(await client.lines(1), [newest.path]);
    client.destroy();
  });

  it('names a job after the word as an extension, and says so for an unknown one', async () => {
    const client = await TestClient.connect(port);
    client.send('revert notes.json\nrevert nope.txt\nbackup nope.txt\n');
    const [known, unknownRevert, unknownBackup] = await client.lines(3);
    assert.equal(known, host.newestVersion()!.path);
    assert.equal(unknownRevert, "Error (UNKNOWN_JOB): There is no backup job 'nope.txt'");
    assert.equal(unknownBackup, "Error (UNKNOWN_JOB): There is no backup job 'nope.txt'");
    client.destroy();
  });

  it('replies to anything else with the original invalid reply, echoing the request as sent', async () => {
    const client = await TestClient.connect(port);
    client.send('give me my file');
    assert.equal(await client.recv(), "Invalid request command 'give me my file' sent.");
    client.destroy();
  });

  it('answers bytes that are not UTF-8 with a clear error and carries on at the next line', async () => {
    const client = await TestClient.connect(port);
    client.send(Buffer.from([0xc3, 0x28, 0xff, 0x0a]));
    client.send('revert\n');
    assert.deepEqual(await client.lines(2), ['Invalid request: it is not UTF-8 text.', host.newestVersion()!.path]);
    client.destroy();
  });

  it('answers an over-long request once and carries on at the next line', async () => {
    const client = await TestClient.connect(port);
    client.send(`${'x'.repeat(200_000)}\nrevert\n`);
    assert.deepEqual(await client.lines(2), ['Request too long.', host.newestVersion()!.path]);
    client.destroy();
  });

  it('closes the connection on exit and keeps serving everyone else', async () => {
    const client = await TestClient.connect(port);
    client.send('exit\n');
    assert.equal(await client.rest(), '');
    const other = await TestClient.connect(port);
    other.send('revert');
    assert.equal(await other.recv(), host.newestVersion()!.path);
    other.destroy();
  });

  it('still answers a client that sends its request and then closes its writing side', async () => {
    const client = await TestClient.connect(port);
    client.send('revert');
    client.end();
    assert.equal(await client.rest(), host.newestVersion()!.path);
  });

  it('takes bytes left without a line end at half-close as the last request', async () => {
    const client = await TestClient.connect(port);
    client.send('revert\nREVERT');
    client.end();
    const path_ = host.newestVersion()!.path;
    assert.equal(await client.rest(), `${path_}\n${path_}`);
  });

  it('carries out a backup whose client disconnected mid-request', async () => {
    await writeFile(source, '{"v":3, "client": "gone"}');
    const completed = collect(host, 'backup.completed');
    const client = await TestClient.connect(port);
    client.send('backup');
    client.destroy();
    const run = await completed.next();
    assert.equal(await readFile(run.version.path, 'utf8'), '{"v":3, "client": "gone"}');
    completed.stop();
  });

  it('survives a client that connects, sends half a request and vanishes', async () => {
    const client = await TestClient.connect(port);
    client.send(Buffer.from('rev'));
    client.socket.resetAndDestroy();
    const other = await TestClient.connect(port);
    other.send('revert');
    assert.equal(await other.recv(), host.newestVersion()!.path);
    other.destroy();
  });

  it('does not let a silent client hold anything up, and closes it after the idle timeout', async () => {
    const silent = await TestClient.connect(port);
    const other = await TestClient.connect(port);
    other.send('revert');
    assert.equal(await other.recv(), host.newestVersion()!.path);
    clock.advance(IDLE_MS - 1);
    assert.equal(silent.isClosed, false);
    clock.advance(IDLE_MS);
    await silent.closed;
    other.destroy();
  });

  it('serves many clients at once', async () => {
    const clients = await Promise.all(Array.from({ length: 50 }, () => TestClient.connect(port)));
    const replies = await Promise.all(
      clients.map(async (client, i) => {
        client.send(i % 2 === 0 ? 'revert' : 'revert\n');
        const reply = await client.recv();
        client.destroy();
        return reply.trimEnd();
      }),
    );
    assert.ok(replies.every((reply) => reply === host.newestVersion()!.path));
  });
});

describe('revert with no backup yet', () => {
  it("answers 'No backup found.' and, without any job, a backup request says there is none", async () => {
    const root = await tempDir('socket');
    const { host } = await startTestHost(path.join(root, 'data'), { socket: { host: '127.0.0.1', port: 0 } });
    const client = await TestClient.connect(host.address!.port);
    client.send('revert\nbackup\n');
    assert.deepEqual(await client.lines(2), [
      'No backup found.',
      'Error (NO_BACKUP_JOB): No backup job is configured; start safekeep with --source PATH',
    ]);
    client.destroy();
    await host.stop();
  });
});
