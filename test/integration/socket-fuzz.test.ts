import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TestClient } from '../helpers/test-client.ts';
import { settle, startSocketRig } from '../helpers/socket-rig.ts';
import { fuzzRuns, splitStream } from '../helpers/wire-arbitraries.ts';

const RUNS = fuzzRuns(25);

describe('fuzzing a real socket with random bytes in random reads', () => {
  it('answers every request it took exactly once, never falls over, and still serves an ordinary client', async () => {
    const rig = await startSocketRig();
    const received = new Map<string, number>();
    const replied = new Map<string, number>();
    rig.bus.on('requests.received', ({ connectionId, requests }) => void received.set(connectionId, (received.get(connectionId) ?? 0) + requests.length));
    rig.bus.on('reply.sent', ({ connectionId }) => void replied.set(connectionId, (replied.get(connectionId) ?? 0) + 1));
    try {
      await fc.assert(
        fc.asyncProperty(splitStream(120), async ({ reads }) => {
          const client = await TestClient.connect(rig.port);
          const opened = { connectionId: await rig.connectionIdOf(client.socket.localPort) };
          const closed = rig.next('connection.closed', ({ connectionId }) => connectionId === opened.connectionId);
          for (const read of reads) {
            client.send(read);
            await settle(1);
          }
          client.end();
          await client.rest();
          await closed;
          assert.equal(replied.get(opened.connectionId) ?? 0, received.get(opened.connectionId) ?? 0);
        }),
        { numRuns: RUNS },
      );
      const ordinary = await TestClient.connect(rig.port);
      ordinary.send('revert');
      assert.equal(await ordinary.recv(), 'No backup found.');
      ordinary.destroy();
    } finally {
      await rig.stop();
    }
  });
});
