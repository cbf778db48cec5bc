import type { ErrorShape } from '../errors/safekeep-error.ts';
import { errorFromShape } from '../host/error-from-shape.ts';

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * The calls of one recorded port that a replay does not make for real (the
 * backup's files, a cluster node's requests to other nodes, its view of the
 * cluster): each
 * waits until the replay settles it with the result the recording holds, at
 * the point in the run where the recording shows it came back. Numbered like
 * the recorder numbers the port's calls, across all its operations.
 *
 * @example
 * const remote = new ScriptedCalls();
 * const port: RemoteRequests = { send: () => remote.call(), locate: () => remote.call() };
 * remote.settle(1, true, { ok: true, result }); // the recording's `result` step for remote call 1
 */
export class ScriptedCalls {
  #count = 0;
  readonly #pending = new Map<number, PendingCall>();

  call<T>(): Promise<T> {
    const call = ++this.#count;
    return new Promise<T>((resolve, reject) => this.#pending.set(call, { resolve: resolve as (value: unknown) => void, reject }));
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
}
