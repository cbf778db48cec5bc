import type { JobLeases, LeaseHold } from '../ports/job-leases.ts';
import { ScriptedCalls } from './scripted-calls.ts';

/**
 * A replay's leases of shared jobs: no NATS. Each call waits until the replay
 * settles it with the answer the recording holds, where the recording shows it
 * (numbered across the port's operations, as the recorder numbers them).
 */
export class ScriptedLeases implements JobLeases {
  readonly #calls = new ScriptedCalls();

  acquire(): Promise<LeaseHold | null> {
    return this.#calls.call();
  }

  renew(): Promise<LeaseHold | null> {
    return this.#calls.call();
  }

  release(): Promise<void> {
    return this.#calls.call();
  }

  holders(): Promise<Record<string, { node: string; renewedAt: number }>> {
    return this.#calls.call();
  }

  /** Settles call number `call` (counted from 1); false when no such call is waiting. */
  settle(call: number, ok: boolean, value: unknown): boolean {
    return this.#calls.settle(call, ok, value);
  }
}
