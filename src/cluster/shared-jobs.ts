import type { BackupVersion } from '../backup/version.ts';
import type { Bus } from '../bus/bus.ts';
import type { Clock, TimerHandle } from '../clock/clock.ts';
import { KeyedLock } from '../concurrency/keyed-lock.ts';
import type { JobLeases, LeaseHold } from '../ports/job-leases.ts';
import { withinLeaseLimit } from './lease-call-limit.ts';
import { LeaseLostError } from './lease-errors.ts';
import { leaseTimings, type LeaseTimings } from './lease-timings.ts';

/** What SharedJobs needs of the scheduler: to start a job it took, and to stop at once one it lost. */
export interface SharedJobsScheduler {
  start(jobId: string): void;
  /** Stops the job for good in this run: an in-flight copy is abandoned (its temp file removed). */
  remove(jobId: string): Promise<void>;
}

export interface SharedJobsDeps {
  readonly leases: JobLeases;
  readonly clock: Clock;
  readonly bus: Bus;
  /** This node's name. */
  readonly node: string;
  readonly leaseTtlMs: number;
  readonly scheduler: SharedJobsScheduler;
  /** Ids of the active shared jobs now (read on every look at the leases, so jobs added or removed later are followed). */
  readonly sharedJobIds: () => readonly string[];
  /** Whether a job is a shared one, active or not (one removed mid-copy still is); without it, the jobs this loop has seen in `sharedJobIds` are. */
  readonly isShared?: (jobId: string) => boolean;
}

interface HeldLease {
  hold: LeaseHold;
  /** When the write that last confirmed the hold was sent: the lease cannot run out in the store before this + TTL. */
  confirmedAt: number;
  renewTimer: TimerHandle | null;
  /** Fires when the hold can no longer be trusted (TTL minus the margin after `confirmedAt`): the job stops then. */
  deadlineTimer: TimerHandle;
}

/**
 * The lease loop of the shared jobs (a source several nodes see): on every
 * node, for every active shared job, it looks at the leases every quarter
 * TTL and takes any that nobody holds; the node that takes one schedules the
 * job and renews the lease every third of the TTL. A holder that cannot
 * renew — the lease was taken, or the store has not answered for TTL minus a
 * margin — stops the job at once, before the lease can run out and be taken
 * elsewhere, so two nodes never copy the same job at the same time.
 *
 * `fence` is the last word: right before a version is registered it renews
 * the lease (compare and set), and a node that lost it never registers.
 *
 * Only the JobLeases port and the clock: no NATS here, and a virtual clock in tests.
 */
export class SharedJobs {
  readonly #deps: SharedJobsDeps;
  readonly #timings: LeaseTimings;
  readonly #held = new Map<string, HeldLease>();
  /** Each job's renewals, fences and takes one after another: two writes against one revision would lose the lease to ourselves. */
  readonly #queues = new KeyedLock();
  /** Who held which job's lease when the leases were last read (and this node's own since). */
  #known = new Map<string, string>();
  /** Jobs being stopped after a lost lease: taken again only once the abandoned copy is gone. */
  readonly #stopping = new Map<string, Promise<void>>();
  /** Every job this loop has known as shared: one that leaves the active list (removed) is still fenced. */
  readonly #seenShared = new Set<string>();
  #lookTimer: TimerHandle | null = null;
  #stopped = false;

  constructor(deps: SharedJobsDeps) {
    this.#deps = deps;
    this.#timings = leaseTimings(deps.leaseTtlMs);
  }

  /** Starts the loop: a first look at once. */
  start(): void {
    this.#stopped = false;
    this.#look();
  }

  /** Whether this node holds the job's lease now. */
  holds(jobId: string): boolean {
    return this.#held.has(jobId);
  }

  /** The node that holds the job's lease as far as this node knows, or null. */
  holderOf(jobId: string): string | null {
    if (this.#held.has(jobId)) return this.#deps.node;
    return this.#known.get(jobId) ?? null;
  }

  /**
   * BackupService's `beforeRegister`: for a shared job, renews the lease
   * (compare and set) and throws LeaseLostError if this node no longer holds
   * it — or cannot confirm that it does — so the version is not registered.
   */
  async fence(version: Pick<BackupVersion, 'jobId'>): Promise<void> {
    const { jobId } = version;
    // Whether the job is shared, not whether it is active: a shared job removed mid-copy must not register a version unfenced.
    if (!this.#isShared(jobId)) return;
    await this.#serial(jobId, async () => {
      const held = this.#held.get(jobId);
      if (!held) throw new LeaseLostError(`This node no longer holds the lease of shared job '${jobId}'; the version it copied is not registered`);
      const ok = await this.#renewHeld(jobId, held);
      if (!ok) throw new LeaseLostError(`This node could not confirm its lease of shared job '${jobId}'; the version it copied is not registered`);
    });
  }

  /** Stops the loop: every job it runs is stopped (in-flight copies abandoned), then its leases are given up so another node need not wait for them to run out. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#lookTimer !== null) this.#deps.clock.clearTimeout(this.#lookTimer);
    this.#lookTimer = null;
    await Promise.all(
      [...this.#held.keys()].map((jobId) =>
        this.#serial(jobId, async () => {
          const held = this.#held.get(jobId);
          if (!held) return;
          this.#drop(jobId, held);
          await this.#deps.scheduler.remove(jobId);
          await this.#lease('release', jobId, () => this.#deps.leases.release(held.hold)).catch(() => undefined);
          this.#emit(jobId, 'released');
        }),
      ),
    );
  }

  /** One look at the leases: learn who holds what, and take every free lease of an active shared job. */
  #look(): void {
    this.#lookTimer = null;
    if (this.#stopped) return;
    void this.#lookOnce().finally(() => {
      if (!this.#stopped) this.#lookTimer = this.#deps.clock.setTimeout(() => this.#look(), this.#timings.lookEveryMs);
    });
  }

  async #lookOnce(): Promise<void> {
    let holders: Readonly<Record<string, { readonly node: string }>>;
    try {
      // Bounded: the next look is scheduled only once this one is over.
      holders = await this.#lease('read the leases', null, () => this.#deps.leases.holders());
    } catch {
      return; // the store is unreachable: nothing can be taken now; the next look tries again
    }
    this.#known = new Map(Object.entries(holders).map(([jobId, holder]) => [jobId, holder.node]));
    const active = new Set(this.#deps.sharedJobIds());
    for (const jobId of active) this.#seenShared.add(jobId);
    for (const jobId of this.#held.keys()) {
      if (!active.has(jobId)) void this.#serial(jobId, () => this.#giveUp(jobId));
    }
    for (const jobId of active) {
      // A lease the store still says is this node's, but not held here (given up after failed renewals) may be taken back.
      const holder = this.#known.get(jobId);
      if (!this.#held.has(jobId) && (holder === undefined || holder === this.#deps.node)) void this.#serial(jobId, () => this.#take(jobId));
    }
  }

  async #take(jobId: string): Promise<void> {
    await this.#stopping.get(jobId);
    if (this.#stopped || this.#held.has(jobId)) return;
    const sentAt = this.#deps.clock.now();
    let hold: LeaseHold | null;
    try {
      hold = await this.#lease('take', jobId, () => this.#deps.leases.acquire(jobId));
    } catch {
      return; // unreachable: the next look tries again
    }
    if (!hold) return;
    if (this.#stopped || !this.#deps.sharedJobIds().includes(jobId)) {
      const taken = hold;
      await this.#lease('release', jobId, () => this.#deps.leases.release(taken)).catch(() => undefined);
      return;
    }
    this.#seenShared.add(jobId);
    const held: HeldLease = { hold, confirmedAt: sentAt, renewTimer: null, deadlineTimer: null };
    this.#held.set(jobId, held);
    this.#known.set(jobId, this.#deps.node);
    this.#armTimers(jobId, held);
    this.#emit(jobId, 'taken');
    this.#deps.scheduler.start(jobId);
  }

  /** Renews a held lease; true when it is still ours. On a loss, the job is stopped before this resolves. */
  async #renewHeld(jobId: string, held: HeldLease): Promise<boolean> {
    const sentAt = this.#deps.clock.now();
    let renewed: LeaseHold | null;
    try {
      const { hold } = held;
      renewed = await this.#lease('renew', jobId, () => this.#deps.leases.renew(hold));
    } catch {
      // Unknown: still ours until the deadline, which stops the job if no renewal gets through before it.
      if (this.#held.get(jobId) === held) this.#armRenew(jobId, held, this.#timings.retryRenewMs);
      return false;
    }
    if (this.#held.get(jobId) !== held) {
      // Dropped meanwhile (its deadline passed, or a stop): the job no longer runs here, so the lease renewed late is given up.
      if (renewed) {
        const late = renewed;
        await this.#lease('release', jobId, () => this.#deps.leases.release(late)).catch(() => undefined);
      }
      return false;
    }
    if (!renewed) {
      await this.#lose(jobId, held);
      return false;
    }
    held.hold = renewed;
    held.confirmedAt = sentAt;
    this.#armTimers(jobId, held);
    return true;
  }

  #armTimers(jobId: string, held: HeldLease): void {
    const { clock } = this.#deps;
    if (held.deadlineTimer !== null) clock.clearTimeout(held.deadlineTimer);
    const deadlineIn = Math.max(0, held.confirmedAt + this.#timings.trustForMs - clock.now());
    held.deadlineTimer = clock.setTimeout(() => {
      held.deadlineTimer = null;
      // Not through the queue: a renewal hanging there must not hold the stop back.
      if (this.#held.get(jobId) === held) void this.#lose(jobId, held);
    }, deadlineIn);
    this.#armRenew(jobId, held, this.#timings.renewEveryMs);
  }

  #armRenew(jobId: string, held: HeldLease, delayMs: number): void {
    const { clock } = this.#deps;
    if (held.renewTimer !== null) clock.clearTimeout(held.renewTimer);
    held.renewTimer = clock.setTimeout(() => {
      held.renewTimer = null;
      void this.#serial(jobId, async () => {
        if (this.#held.get(jobId) === held) await this.#renewHeld(jobId, held);
      });
    }, delayMs);
  }

  async #lose(jobId: string, held: HeldLease): Promise<void> {
    if (this.#held.get(jobId) !== held) return;
    this.#drop(jobId, held);
    if (this.#known.get(jobId) === this.#deps.node) this.#known.delete(jobId);
    const stopped = this.#deps.scheduler.remove(jobId).finally(() => {
      if (this.#stopping.get(jobId) === stopped) this.#stopping.delete(jobId);
    });
    this.#stopping.set(jobId, stopped);
    this.#emit(jobId, 'lost');
    await stopped;
  }

  /** The job is no longer an active shared job (removed): stop it and give its lease up. */
  async #giveUp(jobId: string): Promise<void> {
    const held = this.#held.get(jobId);
    if (!held) return;
    this.#drop(jobId, held);
    await this.#deps.scheduler.remove(jobId);
    await this.#lease('release', jobId, () => this.#deps.leases.release(held.hold)).catch(() => undefined);
    this.#known.delete(jobId);
    this.#emit(jobId, 'released');
  }

  #drop(jobId: string, held: HeldLease): void {
    const { clock } = this.#deps;
    if (held.renewTimer !== null) clock.clearTimeout(held.renewTimer);
    if (held.deadlineTimer !== null) clock.clearTimeout(held.deadlineTimer);
    held.renewTimer = null;
    held.deadlineTimer = null;
    this.#held.delete(jobId);
  }

  #emit(jobId: string, state: 'taken' | 'lost' | 'released'): void {
    void this.#deps.bus.emit('cluster.lease', { jobId, state, node: this.#deps.node, at: this.#deps.clock.now() });
  }

  #isShared(jobId: string): boolean {
    return this.#deps.isShared?.(jobId) === true || this.#seenShared.has(jobId) || this.#held.has(jobId) || this.#deps.sharedJobIds().includes(jobId);
  }

  /** Every lease call, bounded (see `LeaseTimings.callLimitMs`): one that never answers fails instead of stopping the loop. */
  #lease<T>(what: string, jobId: string | null, call: () => Promise<T>): Promise<T> {
    return withinLeaseLimit(this.#deps.clock, this.#timings.callLimitMs, jobId === null ? what : `${what} the lease of job '${jobId}'`, call);
  }

  #serial<T>(jobId: string, step: () => Promise<T>): Promise<T> {
    return this.#queues.run(jobId, step);
  }
}
