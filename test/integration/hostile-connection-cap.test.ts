import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TestClient } from '../helpers/test-client.ts';
import { settle, startSocketRig } from '../helpers/socket-rig.ts';

/** Opens `count` connections, a hundred at a time, each sending `first` (if any) once connected. */
async function openMany(port: number, count: number, first?: string): Promise<TestClient[]> {
  const clients: TestClient[] = [];
  for (let start = 0; start < count; start += 100) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, count - start) }, () => TestClient.connect(port)));
    if (first !== undefined) for (const client of batch) client.send(first);
    clients.push(...batch);
    await settle(5);
  }
  return clients;
}

const closeAll = (clients: readonly TestClient[]) => Promise.all(clients.map((client) => (client.destroy(), client.closed)));

describe('the connection cap (1024) never locks an ordinary client out', () => {
  // Regression: past server.maxConnections every new client was reset, so ~1,100 slow or idle clients locked everyone out.
  for (const [kind, first] of [
    ['slow clients, each with a request begun', '{"message": "num'],
    ['idle clients that sent nothing', undefined],
  ] as const) {
    it(`serves an ordinary client while 1,100 ${kind} are connected`, async () => {
      const rig = await startSocketRig();
      const crowd = await openMany(rig.port, 1_100, first);
      try {
        await settle();
        const ordinary = await TestClient.connect(rig.port);
        ordinary.send('revert\n');
        assert.deepEqual(await ordinary.lines(1), ['No backup found.']);
        ordinary.destroy();
        const evicted = crowd.filter((client) => client.isClosed).length;
        // 76 to bring the crowd down to the cap, one for the ordinary client; a few more while closes are in flight.
        assert.ok(evicted >= 77 && evicted <= 80, `${evicted} of the crowd were closed to make room`);
      } finally {
        await closeAll(crowd);
        await rig.stop();
      }
    });
  }

  it('closes the longest idle connection first, then the earliest-begun partial request, never one awaiting an answer', async () => {
    const rig = await startSocketRig({ maxConnections: 3 }, { hold: true });
    const busy = await TestClient.connect(rig.port);
    busy.send('revert\n');
    await rig.next('requests.received');
    const partial = await TestClient.connect(rig.port);
    partial.send('{"message": ');
    await settle();
    rig.clock.advance(1_000);
    const idle = await TestClient.connect(rig.port);
    await settle();
    const laterPartial = await TestClient.connect(rig.port);
    await idle.closed;
    assert.equal(partial.isClosed, false);
    laterPartial.send('{"message": ');
    await settle();
    const last = await TestClient.connect(rig.port);
    await partial.closed;
    assert.equal(busy.isClosed, false);
    assert.equal(laterPartial.isClosed, false);
    last.destroy();
    laterPartial.destroy();
    rig.release();
    assert.deepEqual(await busy.lines(1), ['No backup found.']);
    busy.destroy();
    await rig.stop();
  });

  it('refuses a new client with TOO_MANY_CONNECTIONS, in its own dialect, only when every connection awaits answers', async () => {
    const rig = await startSocketRig({ maxConnections: 2 }, { hold: true });
    const busy = await Promise.all([TestClient.connect(rig.port), TestClient.connect(rig.port)]);
    for (const client of busy) client.send('revert\n');
    while (rig.held < 2) await settle();
    const closed = rig.next('connection.closed');

    const text = await TestClient.connect(rig.port);
    text.send('revert\n');
    assert.equal(await text.rest(), 'Error (TOO_MANY_CONNECTIONS): Every connection is busy; try again shortly.\n');
    assert.equal((await closed).reason, 'refused');

    const json = await TestClient.connect(rig.port);
    json.send('{"message": "number_of_users"}');
    const reply = JSON.parse(await json.rest());
    assert.equal(reply.error.code, 'TOO_MANY_CONNECTIONS');

    const silent = await TestClient.connect(rig.port);
    await settle();
    rig.clock.advance(1_000);
    assert.match(await silent.rest(), /^Error \(TOO_MANY_CONNECTIONS\)/);

    rig.release();
    for (const client of busy) assert.deepEqual(await client.lines(1), ['No backup found.']);
    await closeAll(busy);
    await rig.stop();
  });
});
