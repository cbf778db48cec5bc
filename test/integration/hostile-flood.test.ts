import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { TestClient } from '../helpers/test-client.ts';
import { settle, startSocketRig } from '../helpers/socket-rig.ts';

const FLOODERS = 20;
const REQUESTS_EACH = 5_000;
const BOUND = 32;

/** A connection that writes `count` pipelined requests at once and reads (and counts) its replies. */
function flooder(port: number, count: number) {
  const socket = net.connect({ port, host: '127.0.0.1' });
  let replies = 0;
  socket.on('connect', () => socket.write('revert\n'.repeat(count)));
  socket.on('data', (chunk: Buffer) => {
    for (let at = chunk.indexOf(0x0a); at !== -1; at = chunk.indexOf(0x0a, at + 1)) replies++;
  });
  socket.on('error', () => undefined);
  return {
    get replies() {
      return replies;
    },
    closed: new Promise<void>((resolve) => socket.on('close', () => resolve())),
    destroy: () => socket.destroy(),
  };
}

describe('a pipelined flood from 20 connections', () => {
  // Regression: the flood put thousands of requests on the bus ahead of everyone else; probes waited over 5 s.
  it('never has more than 32 requests of one connection on the bus, and answers a probe before 3×32×20 flood replies go out', async () => {
    const rig = await startSocketRig();
    let floodReplies = 0;
    const probeConnections = new Set<string>();
    rig.bus.on('reply.sent', ({ connectionId }) => {
      if (!probeConnections.has(connectionId)) floodReplies++;
    });
    const flood = Array.from({ length: FLOODERS }, () => flooder(rig.port, REQUESTS_EACH));
    try {
      // The probe joins when the flood is well under way. Each connection has at most 32 requests on the bus and moves on by
      // at most that many per turn of the event loop, so the probe waits behind a couple of rounds of 32×20 at most.
      while (floodReplies < 2_000) await settle(1);
      const probe = await TestClient.connect(rig.port);
      probeConnections.add(await rig.connectionIdOf(probe.socket.localPort));
      const repliesBefore = floodReplies;
      probe.send('revert\n');
      assert.deepEqual(await probe.lines(1), ['No backup found.']);
      const floodRepliesWhileProbing = floodReplies - repliesBefore;
      assert.ok(floodRepliesWhileProbing <= 3 * BOUND * FLOODERS, `${floodRepliesWhileProbing} flood replies went out while the probe waited`);
      probe.destroy();
      assert.ok(rig.mostOutstanding <= BOUND, `a connection had ${rig.mostOutstanding} requests on the bus at once`);
      while (flood.some((client) => client.replies < REQUESTS_EACH)) await settle(1);
      assert.ok(flood.every((client) => client.replies === REQUESTS_EACH), 'every flood request was answered');
    } finally {
      for (const client of flood) client.destroy();
      await Promise.all(flood.map((client) => client.closed));
      await rig.stop();
    }
  });
});
