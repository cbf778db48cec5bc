import type { ErrorShape } from '../errors/safekeep-error.ts';
import { errorFromShape } from '../host/error-from-shape.ts';
import type { JobLeases, LeaseHold } from '../ports/job-leases.ts';

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * A replay's leases of shared jobs: no NATS. Each call waits until the replay
 * settles it with the answer the recording holds, where the recording shows it.
 */
export class ScriptedLeases implements JobLeases {
  #count = 0;
  readonly #pending = new Map<number, PendingCall>();

  acquire(): Promise<LeaseHold | null> {
    return this.#call();
  }

  renew(): Promise<LeaseHold | null> {
    return this.#call();
  }

  release(): Promise<void> {
    return this.#call();
  }

  holders(): Promise<Record<string, { node: string; renewedAt: number }>> {
    return this.#call();
  }

  /** Settles call number `call` (counted from 1); false when no such call is waiting. */
  settle(call: number, ok: boolean, value: unknown): boolean {
    const pending = this.#pending.get(call);
    if (!pending) return false;
    this.#pending.delete(call);
    if (ok) pending.resolve(value);
    else pending.reject(errorFromShape(value as ErrorShape));
    return true;
  }

  #call<T>(): Promise<T> {
    const call = ++this.#count;
    return new Promise<T>((resolve, reject) => this.#pending.set(call, { resolve: resolve as (value: unknown) => void, reject }));
  }
}
