import { interceptPort } from './intercept-port.ts';

/**
 * Holds back the results of a port that a replay runs for real (the password
 * hasher): each call's result is returned only once the replay releases it,
 * at the point where the recording shows it came back. What comes back is then
 * recorded and compared like any step, so a hash that verifies differently is
 * a divergence.
 */
export class PortGate {
  #count = 0;
  readonly #released = new Set<number>();
  readonly #waiting = new Map<number, () => void>();

  wrap<T extends object>(port: T, ops: readonly string[]): T {
    return interceptPort(port, ops, async (_op, _args, call) => {
      const number = ++this.#count;
      const result = await call().then(
        (value) => ({ ok: true as const, value }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      if (!this.#released.has(number)) await new Promise<void>((resolve) => this.#waiting.set(number, resolve));
      if (!result.ok) throw result.error;
      return result.value;
    });
  }

  /** Lets call `call` (counted from 1) return; false if it was released already or has not been made yet. */
  release(call: number): boolean {
    if (this.#released.has(call) || call > this.#count) return false;
    this.#released.add(call);
    this.#waiting.get(call)?.();
    this.#waiting.delete(call);
    return true;
  }
}
