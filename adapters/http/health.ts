import type { Subscription } from 'rxjs';
import type { Bus } from '../../src/bus/bus.ts';
import type { Clock } from '../../src/clock/clock.ts';

/** The answer to `GET /healthz` (liveness) and `GET /readyz` (readiness). */
export interface HealthReport {
  readonly status: 'ok' | 'unavailable';
  /** Why it is unavailable; absent when ok. */
  readonly reason?: string;
  readonly uptimeMs: number;
}

/** How long after the last failed store checkpoint the service counts as unready: the checkpointer retries sooner, and each failure says so again. */
export const CHECKPOINT_FAILURE_HOLD_MS = 10 * 60_000;

/**
 * Liveness and readiness from the bus. Alive (`liveness()`) once the host has
 * started and until it stops: a probe that restarts a service on failure asks
 * this, and a damaged store is not mended by a restart loop. Ready
 * (`readiness()`) when alive and the store is sound: not after it found a
 * damaged file (until a restart, which checks the store again) nor for ten
 * minutes after a failed checkpoint; in a cluster, not while its NATS link
 * is down (`cluster.link`). A damaged backup version counts for
 * neither: the service still does its work, and the page shows the damage.
 *
 * @example
 * const health = new Health(clock);
 * health.start(bus);
 * health.liveness(); // { status: 'unavailable', reason: 'starting', uptimeMs: 0 } until host.started
 * health.readiness(); // also 'unavailable' with 'store damaged (collection book.users)' after store.damaged
 */
export class Health {
  readonly #clock: Clock;
  #phase: 'starting' | 'serving' | 'stopping' = 'starting';
  #startedAt: number | null = null;
  #storeDamage: string | null = null;
  #checkpointFailedAt: number | null = null;
  /** In a cluster: whether the node has lost its NATS connection (it refuses writes until it is back). */
  #linkDown = false;
  #subscriptions: Subscription[] = [];

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  start(bus: Bus): void {
    this.#subscriptions = [
      bus.on$('host.started').subscribe(() => {
        if (this.#phase === 'starting') this.#phase = 'serving';
        this.#startedAt = this.#clock.now();
      }),
      bus.on$('host.stopping').subscribe(() => (this.#phase = 'stopping')),
      // The collection only: the message may name files, which a probe's log has no need of.
      bus.on$('store.damaged').subscribe((event) => (this.#storeDamage ??= event.collection)),
      bus.on$('store.checkpoint.failed').subscribe(() => (this.#checkpointFailedAt = this.#clock.now())),
      bus.on$('cluster.link').subscribe((event) => (this.#linkDown = event.state === 'disconnected' || event.state === 'closed')),
    ];
  }

  stop(): void {
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#subscriptions = [];
  }

  /** Marks the service as going away before the host says so (the adapter itself stopping). */
  stopping(): void {
    this.#phase = 'stopping';
  }

  /** `GET /healthz`: ok unless starting or stopping. */
  liveness(): HealthReport {
    return this.#report(this.#phaseReason());
  }

  /** `GET /readyz`: ok when alive, the store is sound and (in a cluster) the node is connected to NATS. */
  readiness(): HealthReport {
    return this.#report(this.#phaseReason() ?? this.#storeReason(this.#clock.now()) ?? (this.#linkDown ? 'not connected to the NATS cluster' : null));
  }

  #report(reason: string | null): HealthReport {
    const uptimeMs = this.#startedAt === null ? 0 : this.#clock.now() - this.#startedAt;
    return reason === null ? { status: 'ok', uptimeMs } : { status: 'unavailable', reason, uptimeMs };
  }

  #phaseReason(): string | null {
    if (this.#phase === 'starting') return 'starting';
    if (this.#phase === 'stopping') return 'stopping';
    return null;
  }

  #storeReason(now: number): string | null {
    if (this.#storeDamage !== null) return `store damaged (collection ${this.#storeDamage})`;
    if (this.#checkpointFailedAt !== null && now - this.#checkpointFailedAt < CHECKPOINT_FAILURE_HOLD_MS) return 'store checkpoint failed';
    return null;
  }
}
