import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KvLeases } from '../../adapters/nats/kv-leases.ts';
import { NatsLink } from '../../adapters/nats/nats-link.ts';
import { Bus } from '../../src/bus/bus.ts';
import { systemClock } from '../../src/clock/clock.ts';
import { SharedJobs } from '../../src/cluster/shared-jobs.ts';
import { NATS_SERVER, startNatsCluster, natsServerOr, type NatsCluster } from '../helpers/nats-cluster.ts';

const TTL = 1_500;

/** Waits for a condition, polling, up to a deadline. */
async function until<T>(what: string, check: () => Promise<T | null | undefined | false> | T | null | undefined | false, deadlineMs = 10_000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('KvLeases on a real 3-server NATS cluster', () => {
  let nats: NatsCluster;
  const links: NatsLink[] = [];
  let bucket = 0;

  before(async () => {
    if (NATS_SERVER === null) return;
    nats = await startNatsCluster();
  });

  after(async () => {
    for (const link of links) await link.close();
  });

  /** A node's leases on its own connection, in a bucket of this test's own (a fresh cluster name). */
  async function node(nodeName: string, name: string, servers: readonly string[] = nats.urls): Promise<{ leases: KvLeases; link: NatsLink; bus: Bus }> {
    const bus = new Bus();
    const link = new NatsLink({ servers, nodeName });
    await link.open(bus);
    links.push(link);
    const leases = new KvLeases({ link, name, nodeName, replicas: 3, leaseTtlMs: TTL, clock: systemClock });
    await leases.open();
    // A fresh R3 bucket elects its stream leader in the first moments: the first writes may time out, as the lease loop would retry them.
    const warm = await until('the new bucket to take writes', () => leases.acquire(`warm-${nodeName}`).catch(() => null), 30_000);
    await leases.release(warm);
    return { leases, link, bus };
  }
  const freshName = () => `t${process.pid}x${bucket++}`;

  it('acquires, renews, lists and releases a lease (job ids with dots included)', async (t) => {
    if (!natsServerOr(t)) return;
    const name = freshName();
    const { leases } = await node('a', name);
    const hold = await leases.acquire('notes.v2.txt');
    assert.ok(hold);
    assert.equal(hold.node, 'a');
    assert.equal(hold.jobId, 'notes.v2.txt');
    const renewed = await leases.renew(hold);
    assert.ok(renewed && renewed.revision > hold.revision);
    const holders = await leases.holders();
    assert.deepEqual(Object.keys(holders), ['notes.v2.txt']);
    assert.equal(holders['notes.v2.txt']?.node, 'a');
    assert.ok(Math.abs((holders['notes.v2.txt']?.renewedAt ?? 0) - Date.now()) < 5_000);
    await leases.release(renewed);
    assert.deepEqual(await leases.holders(), {});
    // Free again: taken at once.
    const again = await leases.acquire('notes.v2.txt');
    assert.ok(again);
    await leases.release(again);
  });

  it('makes the bucket with the lease TTL as its max age and the asked replicas, and refuses another TTL', async (t) => {
    if (!natsServerOr(t)) return;
    const name = freshName();
    await node('a', name);
    const link = new NatsLink({ servers: nats.urls, nodeName: 'b' });
    await link.open(new Bus());
    links.push(link);
    const { Kvm } = await import('@nats-io/kv');
    const status = await (await new Kvm(link.connection).open(`${name}-leases`)).status();
    assert.equal(status.ttl, TTL);
    assert.equal(status.replicas, 3);
    assert.equal(status.history, 1);
    const other = new KvLeases({ link, name, nodeName: 'b', replicas: 3, leaseTtlMs: TTL * 2, clock: systemClock });
    await assert.rejects(other.open(), { code: 'CLUSTER_CONFIG_MISMATCH', message: /every node of a cluster must use the same lease TTL/ });
  });

  it('lets exactly one of two racing nodes take each lease', async (t) => {
    if (!natsServerOr(t)) return;
    const name = freshName();
    const [a, b] = await Promise.all([node('a', name, [nats.urls[0] as string]), node('b', name, [nats.urls[1] as string])]);
    const jobs = Array.from({ length: 20 }, (_, i) => `job-${i}.txt`);
    const results = await Promise.all(jobs.map(async (jobId) => [await a.leases.acquire(jobId), await b.leases.acquire(jobId)] as const));
    const raced = await Promise.all(jobs.map((jobId) => Promise.all([a.leases.acquire(`r-${jobId}`), b.leases.acquire(`r-${jobId}`)])));
    for (const [first, second] of [...results, ...raced]) assert.equal([first, second].filter(Boolean).length, 1, JSON.stringify([first, second]));
    const holders = await a.leases.holders();
    assert.equal(Object.keys(holders).length, 40);
  });

  it('answers a stale revision with null: a renewal after a takeover, or of a hold this node never had', async (t) => {
    if (!natsServerOr(t)) return;
    const name = freshName();
    const [a, b] = await Promise.all([node('a', name), node('b', name)]);
    const hold = await a.leases.acquire('job.txt');
    assert.ok(hold);
    // b pretends to hold a's lease: it has no hold of its own, so it cannot write over a's.
    assert.equal(await b.leases.renew({ ...hold, node: 'b' }), null);
    assert.equal(await b.leases.acquire('job.txt'), null);
    // a stops renewing; the lease runs out after the TTL and b takes it.
    const startedWaiting = Date.now();
    const taken = await until('b to take the lease that ran out', () => b.leases.acquire('job.txt'), TTL * 6);
    const waited = Date.now() - startedWaiting;
    assert.ok(waited >= TTL * 0.8, `taken after only ${waited} ms`);
    // a's renewal with its old revision is refused: it lost the lease.
    assert.equal(await a.leases.renew(hold), null);
    assert.equal((await a.leases.holders())['job.txt']?.node, 'b');
    // and its release does not remove b's lease.
    await a.leases.release(hold);
    assert.equal((await b.leases.holders())['job.txt']?.node, 'b');
    assert.ok(await b.leases.renew(taken));
  });

  it("takes back its own live lease (this process's earlier hold), never one of another incarnation of the same node name", async (t) => {
    if (!natsServerOr(t)) return;
    const name = freshName();
    const a = await node('a', name);
    const hold = await a.leases.acquire('mine.txt');
    assert.ok(hold);
    // The same process asks again (it gave the hold up after failed renewals): it gets the lease back, rewritten.
    const back = await a.leases.acquire('mine.txt');
    assert.ok(back && back.revision > hold.revision);
    const renewed = await a.leases.renew(back);
    assert.ok(renewed);
    // A restarted process with the same node name must wait for the lease to run out, and cannot renew it either.
    const again = await node('a', name);
    assert.equal(await again.leases.acquire('mine.txt'), null);
    assert.equal(await again.leases.renew(renewed), null);
  });

  it('keeps a renewed lease past many TTLs', async (t) => {
    if (!natsServerOr(t)) return;
    const name = freshName();
    const [a, b] = await Promise.all([node('a', name), node('b', name)]);
    let hold = await a.leases.acquire('kept.txt');
    assert.ok(hold);
    const end = Date.now() + TTL * 3;
    while (Date.now() < end) {
      await new Promise((resolve) => setTimeout(resolve, TTL / 3));
      hold = await a.leases.renew(hold);
      assert.ok(hold, 'renewal refused');
      assert.equal(await b.leases.acquire('kept.txt'), null);
    }
  });

  it('a holder whose NATS connection dies stops the job before the lease runs out; another node takes it after', async (t) => {
    if (!natsServerOr(t)) return;
    const name = freshName();
    const a = await node('a', name);
    const b = await node('b', name);
    const events: { node: string; what: string; at: number }[] = [];
    const loop = (who: { leases: KvLeases; bus: Bus }, nodeName: string) =>
      new SharedJobs({
        leases: who.leases,
        clock: systemClock,
        bus: who.bus,
        node: nodeName,
        leaseTtlMs: TTL,
        scheduler: {
          start: (jobId) => void events.push({ node: nodeName, what: `start ${jobId}`, at: Date.now() }),
          remove: async (jobId) => void events.push({ node: nodeName, what: `remove ${jobId}`, at: Date.now() }),
        },
        sharedJobIds: () => ['shared.txt'],
      });
    const onA = loop(a, 'a');
    onA.start();
    await until('a to take the lease', () => onA.holds('shared.txt'));
    const onB = loop(b, 'b');
    onB.start();
    await new Promise((resolve) => setTimeout(resolve, TTL));
    assert.equal(onB.holds('shared.txt'), false);
    // a's link dies (as when its process is cut off from NATS): its renewals fail from now on.
    const cutAt = Date.now();
    await a.link.close();
    await until('b to take the job over', () => onB.holds('shared.txt'), TTL * 8);
    const removedOnA = events.find((event) => event.node === 'a' && event.what === 'remove shared.txt');
    const startedOnB = events.find((event) => event.node === 'b' && event.what === 'start shared.txt');
    assert.ok(removedOnA && startedOnB, JSON.stringify(events));
    assert.ok(removedOnA.at - cutAt < TTL, `a stopped the job ${removedOnA.at - cutAt} ms after its link died (TTL ${TTL})`);
    assert.ok(startedOnB.at > removedOnA.at, 'b started the job only after a had stopped it');
    await onA.stop();
    await onB.stop();
    assert.deepEqual(await b.leases.holders(), {});
  });

  it('a holder cut off from every NATS server stops the job before the TTL; the leases come back with the servers', async (t) => {
    if (!natsServerOr(t)) return;
    const name = freshName();
    const a = await node('a', name);
    const events: { what: string; at: number }[] = [];
    const onA = new SharedJobs({
      leases: a.leases,
      clock: systemClock,
      bus: a.bus,
      node: 'a',
      leaseTtlMs: TTL,
      scheduler: {
        start: (jobId) => void events.push({ what: `start ${jobId}`, at: Date.now() }),
        remove: async (jobId) => void events.push({ what: `remove ${jobId}`, at: Date.now() }),
      },
      sharedJobIds: () => ['shared.txt'],
    });
    onA.start();
    await until('a to take the lease', () => onA.holds('shared.txt'));
    await new Promise((resolve) => setTimeout(resolve, TTL / 2));
    const cutAt = Date.now();
    await Promise.all([nats.kill(0), nats.kill(1), nats.kill(2)]);
    await until('a to stop the job', () => events.some((event) => event.what === 'remove shared.txt'), TTL * 3);
    const removed = events.find((event) => event.what === 'remove shared.txt');
    assert.ok(removed && removed.at - cutAt < TTL, `stopped ${removed ? removed.at - cutAt : '?'} ms after the cut`);
    await Promise.all([nats.restart(0), nats.restart(1), nats.restart(2)]);
    await nats.ready();
    // The lease it held ran out meanwhile (its age counts from its last write); a takes the job again once it can.
    await until('a to take the job again', () => onA.holds('shared.txt'), 30_000);
    await onA.stop();
  });

  it('a look at the leases gives up within its time limit when its server stalls (no answer at all), and works again after', async (t) => {
    if (!natsServerOr(t)) return;
    const name = freshName();
    // Connected to one server only, so nothing answers while that one is stopped (SIGSTOP: the socket stays open).
    const a = await node('a', name, [nats.urls[0] as string]);
    const hold = await a.leases.acquire('shared.txt');
    assert.ok(hold);
    const server = nats.servers[0]?.process;
    assert.ok(server);
    server.kill('SIGSTOP');
    try {
      const askedAt = Date.now();
      await assert.rejects(a.leases.holders(), { code: 'STORE_UNAVAILABLE' });
      const tookMs = Date.now() - askedAt;
      assert.ok(tookMs < 3_000, `gave up after ${tookMs} ms`);
    } finally {
      server.kill('SIGCONT');
    }
    await nats.ready();
    // The lease itself may have run out meanwhile (nothing renewed it): what matters is that reading answers again.
    const holders = await until('the leases to be read again', () => a.leases.holders().catch(() => null), 30_000);
    assert.equal(typeof holders, 'object');
  });
});
