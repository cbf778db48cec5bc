import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { startTestHost } from '../helpers/host-harness.ts';
import { TestClient } from '../helpers/test-client.ts';
import { settle } from '../helpers/socket-rig.ts';
import type { Host } from '../../src/host/host.ts';
import type { VirtualClock } from '../../src/clock/virtual-clock.ts';

const parsed = (lines: string[]) => lines.map((line) => JSON.parse(line) as Record<string, any>);

// Regression: each of these ended the process with `RangeError: Maximum call stack size exceeded` in sealSecrets.
const SHAPES = {
  '4000 nested arrays': `{"message":${'['.repeat(4000)}${']'.repeat(4000)}}`,
  '3000 nested objects': `${'{"message":'.repeat(3000)}1${'}'.repeat(3000)}`,
};

describe('deeply nested JSON requests', () => {
  let host: Host;
  let clock: VirtualClock;
  let port: number;

  before(async () => {
    const root = await tempDir('nesting');
    ({ host, clock } = await startTestHost(path.join(root, 'data'), { socket: { host: '127.0.0.1', port: 0 } }));
    port = host.address!.port;
  });

  after(() => host.stop());

  for (const [name, request] of Object.entries(SHAPES)) {
    it(`answers ${name} with REQUEST_TOO_DEEP (a seed client still reads "Invalid message!") and keeps the connection working`, async () => {
      const client = await TestClient.connect(port);
      client.send(`${request}{"message": "number_of_users"}{"type": "users.count", "id": 7}`);
      const [deep, seed, typed] = parsed(await client.lines(3));
      assert.equal(deep?.['message'], 'Invalid message!');
      assert.equal(deep?.['error']?.code, 'REQUEST_TOO_DEEP');
      assert.deepEqual(seed, { message: 'return_number_of_users', number_of_users: 0 });
      assert.deepEqual(typed, { id: 7, type: 'users.count', ok: true, result: { count: 0 } });
      client.destroy();
    });
  }

  it('passes a request nested exactly 64 levels deep on to the book (which finds it no message)', async () => {
    const client = await TestClient.connect(port);
    client.send(`{"message":${'['.repeat(63)}${']'.repeat(63)}}\n`);
    assert.deepEqual(parsed(await client.lines(1)), [{ message: 'Invalid message!' }]);
    client.destroy();
  });

  it('answers 100 000 unclosed brackets at once, then closes the connection when the object never ends', async () => {
    const client = await TestClient.connect(port);
    client.send(`{"message":${'['.repeat(100_000)}`);
    const [deep] = parsed(await client.lines(1));
    assert.equal(deep?.['error']?.code, 'REQUEST_TOO_DEEP');
    await settle();
    clock.advance(10_000);
    const [slow] = parsed(await client.lines(1));
    assert.equal(slow?.['error']?.code, 'REQUEST_TOO_SLOW');
    await client.closed;
    const other = await TestClient.connect(port);
    other.send('{"message": "number_of_users"}');
    assert.deepEqual(parsed(await other.lines(1)), [{ message: 'return_number_of_users', number_of_users: 0 }]);
    other.destroy();
  });

  it('does not overflow on a deep value sent in process by an app (host.request)', async () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    await assert.rejects(host.request('users.count', { extra: deep } as never), { code: 'INVALID_FIELD' });
  });
});
