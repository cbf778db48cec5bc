import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { TestClient } from '../helpers/test-client.ts';
import { settle, startSocketRig } from '../helpers/socket-rig.ts';

describe('a client that never reads its replies', () => {
  it('has its requests held once its unread replies pile up, holds no one else up, and is closed as idle', async () => {
    // Each reply is 64 KiB, so the socket buffers fill after a few dozen.
    const rig = await startSocketRig({ maxUnreadReplyBytes: 1024 * 1024, idleTimeoutMs: 60_000 }, { revertPathBytes: 64 * 1024 });
    let received = 0;
    rig.bus.on('requests.received', ({ requests }) => void (received += requests.length));
    const hog = net.connect({ port: rig.port, host: '127.0.0.1' });
    hog.on('error', () => undefined);
    hog.pause();
    await new Promise<void>((resolve) => hog.once('connect', () => resolve()));
    const opened = { connectionId: await rig.connectionIdOf(hog.localPort) };
    const closed = rig.next('connection.closed', ({ connectionId }) => connectionId === opened.connectionId);
    const batch = 'revert\n'.repeat(100);
    let sent = 0;
    // Until the server stops taking its requests: its replies fill the socket buffers, then the write buffer.
    for (let stalled = 0; stalled < 5 && sent < 100_000; ) {
      const before = received;
      hog.write(batch);
      sent += 100;
      await settle(20);
      stalled = received === before ? stalled + 1 : 0;
    }
    assert.ok(received < sent, `${received} of ${sent} requests were taken`);
    assert.ok(rig.mostOutstanding <= 32);

    const ordinary = await TestClient.connect(rig.port);
    ordinary.send('revert\n');
    assert.equal((await ordinary.lines(1))[0]?.length, 64 * 1024);
    ordinary.destroy();

    rig.clock.advance(60_000);
    // Ended as idle; a client that never reads never sees the end either, so it is let go after the linger.
    rig.clock.advance(5_000);
    assert.equal((await closed).reason, 'idle');
    hog.destroy();
    await rig.stop();
  });
});
