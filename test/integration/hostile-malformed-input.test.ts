import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { startTestHost } from '../helpers/host-harness.ts';
import { TestClient } from '../helpers/test-client.ts';
import { settle } from '../helpers/socket-rig.ts';
import type { Host } from '../../src/host/host.ts';
import type { VirtualClock } from '../../src/clock/virtual-clock.ts';

describe('malformed input from hostile clients', () => {
  let host: Host;
  let clock: VirtualClock;
  let port: number;

  before(async () => {
    const root = await tempDir('malformed');
    ({ host, clock } = await startTestHost(path.join(root, 'data'), { socket: { host: '127.0.0.1', port: 0, idleTimeoutMs: 60_000 } }));
    port = host.address!.port;
  });

  after(() => host.stop());

  const served = async () => {
    const client = await TestClient.connect(port);
    client.send('revert\n');
    assert.deepEqual(await client.lines(1), ['No backup found.']);
    client.destroy();
  };

  it('answers invalid UTF-8 in both dialects (overlong forms, lone surrogates, stray continuation bytes) and carries on', async () => {
    const text = await TestClient.connect(port);
    text.send(Buffer.concat([Buffer.from([0xc0, 0xaf, 0x0a, 0xed, 0xa0, 0x80, 0x0a, 0x80, 0x0a]), Buffer.from('revert\n')]));
    assert.deepEqual(await text.lines(4), [...Array(3).fill('Invalid request: it is not UTF-8 text.'), 'No backup found.']);
    text.destroy();
    const json = await TestClient.connect(port);
    json.send(Buffer.concat([Buffer.from('{"message": "'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}{"message": "number_of_users"}')]));
    const [bad, good] = (await json.lines(2)).map((line) => JSON.parse(line));
    assert.equal(bad.error.code, 'INVALID_ENCODING');
    assert.equal(good.number_of_users, 0);
    json.destroy();
  });

  it('treats __proto__ and constructor keys as plain, unknown data and pollutes nothing', async () => {
    const client = await TestClient.connect(port);
    client.send('{"__proto__": {"polluted": 1}, "message": "number_of_users"}');
    client.send('{"type": "users.count", "constructor": {"prototype": {"polluted": 1}}}');
    client.send('{"type": "users.count", "__proto__": {"type": "user.register"}}');
    const replies = (await client.lines(3)).map((line) => JSON.parse(line));
    assert.deepEqual(replies[0], { message: 'return_number_of_users', number_of_users: 0 });
    assert.equal(replies[1].error.code, 'INVALID_FIELD');
    assert.equal(replies[2].error.code, 'INVALID_FIELD');
    assert.equal(({} as any).polluted, undefined);
    client.destroy();
  });

  it('closes a client that connects and sends nothing after the idle timeout, and serves others meanwhile', async () => {
    const silent = await TestClient.connect(port);
    await served();
    await settle();
    clock.advance(60_000);
    clock.advance(5_000);
    await silent.closed;
  });

  it('survives clients that disconnect half-way through a request, in both dialects, with a reset or a close', async () => {
    for (const half of ['rev', '{"message": "number_of', `{"message": ${'['.repeat(30)}`]) {
      const reset = await TestClient.connect(port);
      reset.send(half);
      await settle();
      reset.socket.resetAndDestroy();
      const closer = await TestClient.connect(port);
      closer.send(half);
      closer.end();
      await closer.closed;
    }
    await served();
  });
});
