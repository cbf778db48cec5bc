import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tempDir } from '../helpers/temp-dir.ts';
import { startTestHost } from '../helpers/host-harness.ts';
import { TestClient } from '../helpers/test-client.ts';

async function jsonHost(maxRequestBytes = 1024 * 1024) {
  const { host } = await startTestHost(await tempDir('json-socket'), { socket: { host: '127.0.0.1', port: 0, maxRequestBytes } });
  return { host, port: host.address!.port };
}

const parsed = (lines: string[]) => lines.map((line) => JSON.parse(line) as Record<string, unknown>);

describe('JSON dialect over a real socket', () => {
  it('answers several objects sent in one packet, in order', async () => {
    const { host, port } = await jsonHost();
    const client = await TestClient.connect(port);
    client.send('{"message": "number_of_users"}{"type":"users.count","id":"a"} {"message": "nope"}');
    assert.deepEqual(parsed(await client.lines(3)), [
      { message: 'return_number_of_users', number_of_users: 0 },
      { id: 'a', type: 'users.count', ok: true, result: { count: 0 } },
      { message: 'Invalid message!' },
    ]);
    client.destroy();
    await host.stop();
  });

  it('joins an object sent in many packets, a multibyte username split among them', async () => {
    const { host, port } = await jsonHost();
    const client = await TestClient.connect(port);
    client.socket.setNoDelay(true);
    const bytes = Buffer.from('{"type": "user.register", "username": "Zoë🔑", "masterPassword": "long enough pw"}');
    for (let i = 0; i < bytes.length; i += 3) {
      client.send(bytes.subarray(i, i + 3));
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(parsed(await client.lines(1)), [{ type: 'user.register', ok: true, result: { username: 'Zoë🔑' } }]);
    client.destroy();
    await host.stop();
  });

  it('answers malformed JSON, an array and bytes that are not UTF-8, then carries on', async () => {
    const { host, port } = await jsonHost();
    const client = await TestClient.connect(port);
    client.send('{"message": oops}\n[1, 2]\n');
    client.send(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]));
    client.send('{"message": "number_of_users"}');
    const replies = parsed(await client.lines(4));
    assert.deepEqual(replies.map((reply) => (reply['error'] as { code: string } | undefined)?.code ?? reply['message']), [
      'INVALID_JSON',
      'INVALID_JSON',
      'INVALID_ENCODING',
      'return_number_of_users',
    ]);
    client.destroy();
    await host.stop();
  });

  it('refuses an over-long request once and answers the next object', async () => {
    const { host, port } = await jsonHost(256);
    const client = await TestClient.connect(port);
    client.send(`{"type": "pending.add", "id": 1, "password": "${'p'.repeat(1000)}"}{"type": "users.count", "id": 2}`);
    const [tooLong, next] = parsed(await client.lines(2));
    assert.equal((tooLong?.['error'] as { code: string }).code, 'REQUEST_TOO_LONG');
    assert.deepEqual(next, { id: 2, type: 'users.count', ok: true, result: { count: 0 } });
    client.destroy();
    await host.stop();
  });

  it('carries out a request from a client that sends and closes its writing side', async () => {
    const { host, port } = await jsonHost();
    const client = await TestClient.connect(port);
    client.send('{"message": "save_password", "password": "from a half-closed client"}');
    client.end();
    assert.equal(await client.rest(), '{"message": "Password saved!"}\n');
    await host.stop();
  });

  it('survives a client that disconnects half-way through an object', async () => {
    const { host, port } = await jsonHost();
    const quitter = await TestClient.connect(port);
    quitter.send('{"type": "user.register", "username": "half", "masterPa');
    quitter.destroy();
    const client = await TestClient.connect(port);
    client.send('{"type": "users.list"}\n');
    assert.deepEqual(parsed(await client.lines(1)), [{ type: 'users.list', ok: true, result: { users: [] } }]);
    client.destroy();
    await host.stop();
  });
});
