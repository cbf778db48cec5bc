import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Bus } from '../../src/bus/bus.ts';
import type { ClusterLease } from '../../src/cluster/events.ts';
import { leasedPlacement } from '../../src/cluster/job-placement.ts';
import { LeaseLostError } from '../../src/cluster/lease-errors.ts';
import { StoreUnavailableError } from '../../src/store/errors.ts';
import { SharedJobs } from '../../src/cluster/shared-jobs.ts';
import type { BackupJob } from '../../src/backup/job.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import type { JobLeases, LeaseHold } from '../../src/ports/job-leases.ts';

const TTL = 3_000;
const JOB = 'notes.txt';

interface Record_ {
  node: string;
  revision: number;
  writtenAt: number;
  /** Which view (process) wrote it: a node's own earlier hold may be taken back, another incarnation's may not. */
  writer: MemoryLeases | null;
}

/** One lease store for every node, run out by the virtual clock: what the KV bucket with a TTL does. */
class MemoryLeaseStore {
  readonly records = new Map<string, Record_>();
  #revision = 0;

  constructor(readonly clock: VirtualClock) {}

  /** Drops what ran out: a record not rewritten for the TTL. */
  #expire(): void {
    for (const [jobId, record] of this.records) if (this.clock.now() >= record.writtenAt + TTL) this.records.delete(jobId);
  }

  view(node: string): MemoryLeases {
    return new MemoryLeases(this, node);
  }

  acquire(jobId: string, node: string, writer: MemoryLeases): LeaseHold | null {
    this.#expire();
    const record = this.records.get(jobId);
    if (record && record.writer !== writer) return null;
    const revision = ++this.#revision;
    this.records.set(jobId, { node, revision, writtenAt: this.clock.now(), writer });
    return { jobId, node, revision };
  }

  renew(hold: LeaseHold, writer: MemoryLeases): LeaseHold | null {
    this.#expire();
    const record = this.records.get(hold.jobId);
    if (!record || record.revision !== hold.revision || record.writer !== writer) return null;
    const revision = ++this.#revision;
    this.records.set(hold.jobId, { node: hold.node, revision, writtenAt: this.clock.now(), writer });
    return { ...hold, revision };
  }

  release(hold: LeaseHold): void {
    const record = this.records.get(hold.jobId);
    if (record?.revision === hold.revision) this.records.delete(hold.jobId);
  }

  holders(): Record<string, { node: string; renewedAt: number }> {
    this.#expire();
    return Object.fromEntries([...this.records].map(([jobId, record]) => [jobId, { node: record.node, renewedAt: record.writtenAt }]));
  }

  /** Another node writes over the lease (what a stale holder would see after a takeover). */
  steal(jobId: string, node: string): void {
    this.records.set(jobId, { node, revision: ++this.#revision, writtenAt: this.clock.now(), writer: null });
  }
}

/** One node's view of the store; `reachable = false` makes every call fail as a lost NATS link does, `hang` never answer. */
class MemoryLeases implements JobLeases {
  reachable = true;
  hang = false;
  readonly calls: string[] = [];

  constructor(
    readonly store: MemoryLeaseStore,
    readonly node: string,
  ) {}

  #call<T>(name: string, answer: () => T): Promise<T> {
    this.calls.push(name);
    if (this.hang) return new Promise<T>(() => undefined);
    if (!this.reachable) return Promise.reject(new StoreUnavailableError('unreachable'));
    return Promise.resolve().then(answer);
  }

  acquire(jobId: string) {
    return this.#call('acquire', () => this.store.acquire(jobId, this.node, this));
  }
  renew(hold: LeaseHold) {
    return this.#call('renew', () => this.store.renew(hold, this));
  }
  release(hold: LeaseHold) {
    return this.#call('release', () => this.store.release(hold));
  }
  holders() {
    return this.#call('holders', () => this.store.holders());
  }
}

/** What SharedJobs did to the scheduler, with times. */
class SchedulerLog {
  readonly events: { what: 'start' | 'remove'; jobId: string; at: number }[] = [];
  constructor(readonly clock: VirtualClock) {}
  readonly port: { start(jobId: string): void; remove(jobId: string): Promise<void> } = {
    start: (jobId: string) => void this.events.push({ what: 'start', jobId, at: this.clock.now() }),
    remove: async (jobId: string) => void this.events.push({ what: 'remove', jobId, at: this.clock.now() }),
  };
  running(jobId: string): boolean {
    const last = this.events.filter((event) => event.jobId === jobId).at(-1);
    return last?.what === 'start';
  }
}

interface TestNode {
  readonly name: string;
  readonly leases: MemoryLeases;
  readonly scheduler: SchedulerLog;
  readonly shared: SharedJobs;
  readonly lease: ClusterLease[];
  jobs: string[];
}

function rig(nodes: readonly string[] = ['a']) {
  const clock = new VirtualClock(1_000_000);
  const store = new MemoryLeaseStore(clock);
  const made = nodes.map((name): TestNode => {
    const bus = new Bus();
    const lease: ClusterLease[] = [];
    bus.on$('cluster.lease').subscribe((event) => lease.push(event));
    const leases = store.view(name);
    const scheduler = new SchedulerLog(clock);
    const node: TestNode = {
      name,
      leases,
      scheduler,
      lease,
      jobs: [JOB],
      shared: null as unknown as SharedJobs,
    };
    (node as { shared: SharedJobs }).shared = new SharedJobs({ leases, clock, bus, node: name, leaseTtlMs: TTL, scheduler: scheduler.port, sharedJobIds: () => node.jobs });
    return node;
  });
  /** Moves the virtual time in small steps, letting promises settle between them, as real time would. */
  const run = async (ms: number, stepMs = 10) => {
    for (let done = 0; done < ms; done += stepMs) {
      clock.advance(Math.min(stepMs, ms - done));
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  return { clock, store, nodes: made, run };
}

/** `a` starts and takes the lease; then `b` starts and, for `watchMs`, finds it held. */
async function holderThenWatcher(a: TestNode, b: TestNode, run: (ms: number) => Promise<void>, watchMs = TTL): Promise<void> {
  a.shared.start();
  await run(50);
  b.shared.start();
  await run(watchMs);
}

const runners = (nodes: readonly TestNode[]) => nodes.filter((node) => node.scheduler.running(JOB)).map((node) => node.name);

describe('SharedJobs: the lease loop of shared jobs', () => {
  it('takes a free lease, starts the job and says so', async () => {
    const { nodes, run, store } = rig(['a']);
    const [a] = nodes as [TestNode];
    a.shared.start();
    await run(50);
    assert.equal(a.shared.holds(JOB), true);
    assert.equal(a.shared.holderOf(JOB), 'a');
    assert.deepEqual(runners(nodes), ['a']);
    assert.equal(store.records.get(JOB)?.node, 'a');
    assert.deepEqual(
      a.lease.map((event) => [event.jobId, event.state, event.node]),
      [[JOB, 'taken', 'a']],
    );
  });

  it('lets exactly one of three nodes run the job, and the others learn who', async () => {
    const { nodes, run } = rig(['a', 'b', 'c']);
    for (const node of nodes) node.shared.start();
    await run(TTL * 5);
    assert.equal(runners(nodes).length, 1, runners(nodes).join());
    const holder = runners(nodes)[0];
    for (const node of nodes) assert.equal(node.shared.holderOf(JOB), holder, node.name);
    // Nobody lost anything meanwhile: the holder renewed in time, every time.
    for (const node of nodes) assert.deepEqual(node.lease.filter((event) => event.state !== 'taken'), [], node.name);
  });

  it('renews every third of the TTL, so the lease never runs out while the node lives', async () => {
    const { nodes, run, store } = rig(['a']);
    const [a] = nodes as [TestNode];
    a.shared.start();
    await run(50);
    const first = store.records.get(JOB)?.revision ?? 0;
    await run(TTL * 10);
    const renewals = a.leases.calls.filter((call) => call === 'renew').length;
    assert.ok(renewals >= 29 && renewals <= 31, `${renewals} renewals in 10 TTLs`);
    assert.ok((store.records.get(JOB)?.revision ?? 0) > first);
    assert.equal(a.shared.holds(JOB), true);
  });

  it('stops the job at once when a renewal finds the lease taken', async () => {
    const { nodes, run, store, clock } = rig(['a']);
    const [a] = nodes as [TestNode];
    a.shared.start();
    await run(50);
    store.steal(JOB, 'z');
    const stolenAt = clock.now();
    await run(TTL / 3 + 50);
    assert.equal(a.shared.holds(JOB), false);
    const removed = a.scheduler.events.find((event) => event.what === 'remove');
    assert.ok(removed && removed.at - stolenAt <= TTL / 3 + 10, JSON.stringify(a.scheduler.events));
    assert.deepEqual(
      a.lease.map((event) => event.state),
      ['taken', 'lost'],
    );
    // It does not take the job back while z holds it.
    await run(TTL / 2);
    assert.equal(a.scheduler.running(JOB), false);
  });

  it('a holder that cannot reach the store stops the job before its lease can run out, and another node takes it only after', async () => {
    const { nodes, run, clock } = rig(['a', 'b']);
    const [a, b] = nodes as [TestNode, TestNode];
    await holderThenWatcher(a, b, run);
    assert.deepEqual(runners(nodes), ['a']);
    const lastRenewal = a.leases.calls.length;
    a.leases.reachable = false;
    const cutAt = clock.now();
    await run(TTL * 3);
    const removed = a.scheduler.events.find((event) => event.what === 'remove');
    const taken = b.scheduler.events.find((event) => event.what === 'start');
    assert.ok(removed && taken, JSON.stringify({ a: a.scheduler.events, b: b.scheduler.events }));
    // a's last good renewal was at most a third of the TTL before the cut, and it stops a fifth of the TTL before that renewal runs out.
    assert.ok(removed.at < cutAt + TTL - TTL / 5 + 10, `a stopped ${removed.at - cutAt} ms after the cut`);
    assert.ok(taken.at > removed.at, `b took it ${taken.at - removed.at} ms after a stopped`);
    // b took it within TTL (since a's last renewal) plus one look (TTL/4) of the cut.
    assert.ok(taken.at - cutAt <= TTL + TTL / 4 + 20, `b took it ${taken.at - cutAt} ms after the cut`);
    assert.ok(a.leases.calls.length > lastRenewal, 'a kept trying');
    assert.deepEqual(
      a.lease.map((event) => event.state),
      ['taken', 'lost'],
    );
  });

  it('a holder that gave its lease up during a short outage takes it back when the store answers again, before anyone else can', async () => {
    const { nodes, run, clock, store } = rig(['a', 'b']);
    const [a, b] = nodes as [TestNode, TestNode];
    await holderThenWatcher(a, b, run);
    a.leases.reachable = false;
    await run(TTL * 0.85);
    assert.equal(a.shared.holds(JOB), false, 'a stopped the job');
    assert.equal(store.records.get(JOB)?.node, 'a', 'the lease has not run out yet');
    a.leases.reachable = true;
    const backAt = clock.now();
    await run(TTL / 4 + 50);
    assert.equal(a.shared.holds(JOB), true);
    assert.ok((a.scheduler.events.at(-1)?.at ?? 0) - backAt <= TTL / 4 + 20);
    assert.deepEqual(
      a.lease.map((event) => event.state),
      ['taken', 'lost', 'taken'],
    );
    assert.deepEqual(b.scheduler.events, []);
  });

  it('takes a lost job again only once its abandoned copy is gone', async () => {
    const { nodes, run, store } = rig(['a']);
    const [a] = nodes as [TestNode];
    let finishRemove = () => {};
    const removing = new Promise<void>((resolve) => (finishRemove = resolve));
    a.scheduler.port.remove = async (jobId: string) => {
      a.scheduler.events.push({ what: 'remove', jobId, at: 0 });
      await removing;
    };
    a.shared.start();
    await run(50);
    // Lost by its deadline (the store did not answer), which stops the job without waiting in the lease's queue…
    a.leases.reachable = false;
    await run(TTL * 0.85);
    // …and the store is back at once, the lease still this node's to take back.
    a.leases.reachable = true;
    assert.equal(store.records.get(JOB)?.node, 'a');
    await run(TTL / 2);
    assert.deepEqual(
      a.scheduler.events.map((event) => event.what),
      ['start', 'remove'],
    );
    finishRemove();
    await run(TTL / 4 + 50);
    assert.deepEqual(
      a.scheduler.events.map((event) => event.what),
      ['start', 'remove', 'start'],
    );
  });

  it('goes on looking when a look at the leases never answers (a KV consumer stalled on a dead server)', async () => {
    const { nodes, run } = rig(['a']);
    const [a] = nodes as [TestNode];
    a.leases.hang = true;
    a.shared.start();
    await run(TTL);
    assert.ok(a.leases.calls.filter((call) => call === 'holders').length >= 2, a.leases.calls.join(','));
    a.leases.hang = false;
    await run(TTL / 3 + TTL / 4 + 50);
    assert.equal(a.shared.holds(JOB), true);
    assert.deepEqual(runners(nodes), ['a']);
  });

  it('a holder whose renewals hang (no answer at all) stops by its deadline too', async () => {
    const { nodes, run, clock } = rig(['a']);
    const [a] = nodes as [TestNode];
    a.shared.start();
    await run(50);
    a.leases.hang = true;
    const cutAt = clock.now();
    await run(TTL);
    const removed = a.scheduler.events.find((event) => event.what === 'remove');
    assert.ok(removed && removed.at - cutAt <= TTL - TTL / 5, JSON.stringify(a.scheduler.events));
  });

  it('takes over from a dead holder within the TTL and a quarter', async () => {
    const { nodes, run, clock } = rig(['a', 'b']);
    const [a, b] = nodes as [TestNode, TestNode];
    await holderThenWatcher(a, b, run, TTL * 2 + 137);
    // a dies: nothing of it answers or runs any more.
    a.leases.hang = true;
    const diedAt = clock.now();
    await run(TTL * 2);
    const taken = b.scheduler.events.find((event) => event.what === 'start');
    assert.ok(taken, 'b took the job over');
    assert.ok(taken.at - diedAt <= TTL + TTL / 4 + 20, `b took it ${taken.at - diedAt} ms after a died`);
    assert.deepEqual(
      b.lease.map((event) => event.state),
      ['taken'],
    );
  });

  it('gives its leases up on stop, so another node takes the job at its next look', async () => {
    const { nodes, run, store, clock } = rig(['a', 'b']);
    const [a, b] = nodes as [TestNode, TestNode];
    await holderThenWatcher(a, b, run);
    await a.shared.stop();
    assert.equal(store.records.has(JOB), false);
    assert.deepEqual(
      a.scheduler.events.map((event) => event.what),
      ['start', 'remove'],
    );
    assert.deepEqual(
      a.lease.map((event) => event.state),
      ['taken', 'released'],
    );
    const stoppedAt = clock.now();
    await run(TTL / 4 + 20);
    const taken = b.scheduler.events.find((event) => event.what === 'start');
    assert.ok(taken && taken.at - stoppedAt <= TTL / 4 + 10);
    // The stopped loop takes nothing again.
    await run(TTL * 2);
    assert.equal(a.scheduler.events.length, 2);
  });

  it('gives up the lease of a job that is no longer shared or active', async () => {
    const { nodes, run, store } = rig(['a']);
    const [a] = nodes as [TestNode];
    a.shared.start();
    await run(50);
    a.jobs = [];
    await run(TTL / 4 + 20);
    assert.equal(store.records.has(JOB), false);
    assert.deepEqual(
      a.lease.map((event) => event.state),
      ['taken', 'released'],
    );
  });

  describe('fence (before a version is registered)', () => {
    it('renews the lease of a held job and lets the version through', async () => {
      const { nodes, run, store } = rig(['a']);
      const [a] = nodes as [TestNode];
      a.shared.start();
      await run(50);
      const before = store.records.get(JOB)?.revision ?? 0;
      await a.shared.fence({ jobId: JOB });
      assert.ok((store.records.get(JOB)?.revision ?? 0) > before);
      // The loop goes on with the new revision: the next renewal is not refused.
      await run(TTL);
      assert.equal(a.shared.holds(JOB), true);
    });

    it('refuses with LEASE_LOST when the lease was taken, and stops the job', async () => {
      const { nodes, run, store } = rig(['a']);
      const [a] = nodes as [TestNode];
      a.shared.start();
      await run(50);
      store.steal(JOB, 'b');
      await assert.rejects(a.shared.fence({ jobId: JOB }), (error: unknown) => error instanceof LeaseLostError && error.code === 'LEASE_LOST');
      assert.equal(a.scheduler.running(JOB), false);
    });

    it('refuses with LEASE_LOST when the store cannot confirm the lease', async () => {
      const { nodes, run } = rig(['a']);
      const [a] = nodes as [TestNode];
      a.shared.start();
      await run(50);
      a.leases.reachable = false;
      await assert.rejects(a.shared.fence({ jobId: JOB }), /could not confirm its lease/);
    });

    it('refuses with LEASE_LOST on a node that does not hold the lease', async () => {
      const { nodes, run } = rig(['a', 'b']);
      const [a, b] = nodes as [TestNode, TestNode];
      a.shared.start();
      await run(50);
      b.shared.start();
      await run(50);
      await assert.rejects(b.shared.fence({ jobId: JOB }), { code: 'LEASE_LOST' });
    });

    it('lets a job that is not shared through without asking the store', async () => {
      const { nodes } = rig(['a']);
      const [a] = nodes as [TestNode];
      await a.shared.fence({ jobId: 'own.txt' });
      assert.deepEqual(a.leases.calls, []);
    });

    it('refuses with LEASE_LOST a version of a shared job removed mid-copy (no longer in the active list)', async () => {
      const { nodes, run } = rig(['a']);
      const [a] = nodes as [TestNode];
      a.shared.start();
      await run(50);
      assert.equal(a.shared.holds(JOB), true);
      // The job is removed while its copy runs: the next look gives the lease up, and the copy reaches the fence after.
      a.jobs = [];
      await run(TTL);
      assert.equal(a.shared.holds(JOB), false);
      await assert.rejects(a.shared.fence({ jobId: JOB }), { code: 'LEASE_LOST' });
    });

    it('refuses with LEASE_LOST a removed shared job the deps say is shared, even one this loop never saw', async () => {
      const clock = new VirtualClock(1_000_000);
      const leases = new MemoryLeaseStore(clock).view('a');
      const shared = new SharedJobs({ leases, clock, bus: new Bus(), node: 'a', leaseTtlMs: TTL, scheduler: new SchedulerLog(clock).port, sharedJobIds: () => [], isShared: (jobId) => jobId === JOB });
      await assert.rejects(shared.fence({ jobId: JOB }), { code: 'LEASE_LOST' });
      await shared.fence({ jobId: 'own.txt' });
    });

    it('gives up on a renewal that never answers within a third of the TTL, so the fence refuses instead of hanging', async () => {
      const { nodes, run, clock } = rig(['a']);
      const [a] = nodes as [TestNode];
      a.shared.start();
      await run(50);
      a.leases.hang = true;
      const askedAt = clock.now();
      let settledAt: number | null = null;
      const fenced = a.shared.fence({ jobId: JOB }).finally(() => {
        settledAt = clock.now();
      });
      fenced.catch(() => undefined);
      await run(TTL / 3 + 50);
      await assert.rejects(fenced, { code: 'LEASE_LOST' });
      assert.ok(settledAt !== null && settledAt - askedAt <= TTL / 3 + 10, `settled ${String(settledAt)} after ${askedAt}`);
    });
  });

  describe('leasedPlacement', () => {
    const job = (fields: Partial<BackupJob>): BackupJob => ({ id: JOB, sourcePath: '/x', intervalMs: 1000, retention: {}, createdAt: 0, ...fields });

    it("runs a node's own jobs where they were made, and shared jobs where the lease is", async () => {
      const { nodes, run } = rig(['a', 'b']);
      const [a, b] = nodes as [TestNode, TestNode];
      a.shared.start();
      await run(50);
      b.shared.start();
      await run(50);
      const onA = leasedPlacement('a', a.shared);
      const onB = leasedPlacement('b', b.shared);
      assert.equal(onA.runsHere(job({ shared: true })), true);
      assert.equal(onB.runsHere(job({ shared: true })), false);
      assert.equal(onB.runnerOf(job({ shared: true })), 'a');
      assert.equal(onB.runnerOf(job({ id: 'other.txt', shared: true })), null);
      assert.equal(onB.runsHere(job({ node: 'a' })), false);
      assert.equal(onB.runnerOf(job({ node: 'a' })), 'a');
      assert.equal(onB.runsHere(job({ node: 'b' })), true);
      assert.equal(onB.runsHere(job({})), true);
      // The command line's --shared-source jobs count as shared even before the catalog marks them.
      assert.equal(leasedPlacement('b', b.shared, () => true).runsHere(job({})), false);
    });
  });
});
