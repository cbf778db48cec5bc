import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { startTestHost } from '../helpers/host-harness.ts';
import { settle } from '../helpers/socket-rig.ts';

/** Resolves with `value` once `promise` settles, or with 'not yet' after `ms` of real time. */
const within = <T>(promise: Promise<T>, ms: number) =>
  Promise.race([promise, new Promise<'not yet'>((resolve) => setTimeout(() => resolve('not yet'), ms).unref())]);

describe('shutdown with a client that never reads', () => {
  // Regression: such a client delayed shutdown 12–16 s (a 10 s grace, then a 5 s linger on top).
  it('is over once the default grace of 5 s is up, linger included', async () => {
    const root = await tempDir('drain');
    const { host, clock } = await startTestHost(path.join(root, 'data'), { socket: { host: '127.0.0.1', port: 0 } });
    const hog = net.connect({ port: host.address!.port, host: '127.0.0.1' });
    hog.on('error', () => undefined);
    hog.pause();
    await new Promise<void>((resolve) => hog.once('connect', () => resolve()));
    hog.write('{"message": "number_of_users"}'.repeat(50_000));
    await settle(50);

    const stopping = host.stop();
    await settle(50);
    clock.advance(5_000);
    assert.equal(await within(stopping.then(() => 'stopped'), 10_000), 'stopped');
    hog.destroy();
  });
});
