import type { VersionVerifier } from '../backup/version-verifier.ts';
import type { Clock, TimerHandle } from '../clock/clock.ts';

/**
 * The scrub's read-rate ceiling: after each file it rests as long as reading
 * that file at this rate would have taken, so on average it reads no faster
 * (a 1 GiB version is followed by 64 s of rest).
 */
export const SCRUB_BYTES_PER_SECOND = 16 * 1024 * 1024;
/** While a backup copies, the scrub waits, checking again this often. */
const BUSY_RECHECK_MS = 1_000;

/**
 * The scheduled scrub (`--verify-interval`): a full verification pass every
 * interval, on the host's clock, gentle enough never to compete with backups:
 * one version at a time, a bounded average read rate, and no reading while a
 * backup copy runs. The first pass is one interval after the start; each next
 * one an interval after the previous ended.
 */
export class VerifyScheduler {
  readonly #clock: Clock;
  readonly #verifier: VersionVerifier;
  readonly #intervalMs: number;
  readonly #busy: () => boolean;
  #timer: TimerHandle | null = null;
  #running: Promise<void> | null = null;
  readonly #abort = new AbortController();
  #wakeRest: (() => void) | null = null;

  constructor(deps: { clock: Clock; verifier: VersionVerifier; intervalMs: number; busy: () => boolean }) {
    this.#clock = deps.clock;
    this.#verifier = deps.verifier;
    this.#intervalMs = deps.intervalMs;
    this.#busy = deps.busy;
  }

  /** Schedules the first pass; an interval of 0 turns the scrub off. */
  start(): void {
    if (this.#intervalMs > 0) this.#schedule();
  }

  /** Cancels the next pass and stops a running one between (or inside) files. */
  async stop(): Promise<void> {
    this.#abort.abort();
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#wakeRest?.();
    await this.#running;
  }

  #schedule(): void {
    if (this.#abort.signal.aborted) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      this.#running = this.#pass().finally(() => {
        this.#running = null;
        this.#schedule();
      });
    }, this.#intervalMs);
  }

  async #pass(): Promise<void> {
    const signal = this.#abort.signal;
    await this.#verifier
      .verifyAll({
        trigger: 'schedule',
        signal,
        pace: async (bytesRead) => {
          await this.#rest(Math.ceil((bytesRead / SCRUB_BYTES_PER_SECOND) * 1000));
          while (this.#busy() && !signal.aborted) await this.#rest(BUSY_RECHECK_MS);
        },
      })
      // A failed pass (the store refused a mark) is retried at the next interval; its findings were reported as they came.
      .catch(() => undefined);
  }

  #rest(ms: number): Promise<void> {
    if (ms <= 0 || this.#abort.signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = this.#clock.setTimeout(() => {
        this.#wakeRest = null;
        resolve();
      }, ms);
      this.#wakeRest = () => {
        this.#clock.clearTimeout(timer);
        this.#wakeRest = null;
        resolve();
      };
    });
  }
}
