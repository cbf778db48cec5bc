import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { startTestHost } from '../helpers/host-harness.ts';
import { TestClient } from '../helpers/test-client.ts';
import { settle } from '../helpers/socket-rig.ts';
import type { Host } from '../../src/host/host.ts';
import type { VirtualClock } from '../../src/clock/virtual-clock.ts';

const MIB = 1024 * 1024;

describe('over-long requests at the default limit (1 MiB)', () => {
  let host: Host;
  let clock: VirtualClock;
  let port: number;

  before(async () => {
    const root = await tempDir('long');
    ({ host, clock } = await startTestHost(path.join(root, 'data'), { socket: { host: '127.0.0.1', port: 0 } }));
    port = host.address!.port;
  });

  after(() => host.stop());

  // Regression: reads shorter than 64 KiB were each taken as a whole bare request, ~20 "Invalid request command 'aaaa…'" replies.
  it("answers 2 000 000 bytes of 'a' and then revert with exactly one 'Request too long.' and the revert", async () => {
    const client = await TestClient.connect(port);
    client.send(Buffer.concat([Buffer.alloc(2_000_000, 'a'), Buffer.from('\nrevert\nexit\n')]));
    assert.equal(await client.rest(), 'Request too long.\nNo backup found.\n');
  });

  it('answers a 10 MiB text line once and carries on at the next line', async () => {
    const client = await TestClient.connect(port);
    client.send(Buffer.concat([Buffer.alloc(10 * MIB, 'x'), Buffer.from('\nrevert\nexit\n')]));
    assert.equal(await client.rest(), 'Request too long.\nNo backup found.\n');
  });

  it('answers a 10 MiB JSON object once and carries on with the next object', async () => {
    const client = await TestClient.connect(port);
    client.send(Buffer.concat([Buffer.from('{"message": "'), Buffer.alloc(10 * MIB, 'x'), Buffer.from('"}{"message": "number_of_users"}')]));
    const [tooLong, count] = (await client.lines(2)).map((line) => JSON.parse(line));
    assert.equal(tooLong.error.code, 'REQUEST_TOO_LONG');
    assert.deepEqual(count, { message: 'return_number_of_users', number_of_users: 0 });
    client.destroy();
  });

  it('still answers a bare word with no line end at once, as the seed client sends it', async () => {
    const client = await TestClient.connect(port);
    client.send('revert');
    assert.equal(await client.recv(), 'No backup found.');
    client.destroy();
  });

  it('takes a long unterminated text request as a bare one after a quiet second', async () => {
    const client = await TestClient.connect(port);
    client.send('y'.repeat(5_000));
    await settle();
    clock.advance(999);
    await settle();
    client.send('y');
    await settle();
    clock.advance(1_000);
    const reply = await client.recv();
    assert.match(reply, /^Invalid request command 'y{1024}…' sent\.$/);
    client.destroy();
  });
});
