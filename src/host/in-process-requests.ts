import type { Subscription } from 'rxjs';
import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../clock/clock.ts';
import { toErrorShape } from '../errors/safekeep-error.ts';
import type { CommandHandler, CommandResult } from '../protocol/commands.ts';
import type { RequestSettled } from '../protocol/messages.ts';
import { checkCommand } from './check-command.ts';

/**
 * Carries out the requests an embedding app submits on the bus
 * (`request.submitted`) and answers each with `request.settled`. Going through
 * the bus rather than calling the handler directly is what puts in-process
 * requests into recordings, so a replay can feed them again.
 */
export class InProcessRequests {
  readonly #bus: Bus;
  readonly #clock: Clock;
  readonly #handler: CommandHandler;
  /** Requests being handled, and who waits for there to be none (a stop). */
  #inFlight = 0;
  #drained: (() => void) | null = null;
  #subscription: Subscription | null = null;

  constructor(deps: { bus: Bus; clock: Clock; handler: CommandHandler }) {
    this.#bus = deps.bus;
    this.#clock = deps.clock;
    this.#handler = deps.handler;
  }

  start(): void {
    // The handler starts inside the emit of `request.submitted` (streams are synchronous): its answer is a promise, so the sender never waits for the work.
    this.#subscription = this.#bus.on$('request.submitted').subscribe(({ requestId, command, clientAddress }) => {
      // Checked here, not only by the types: an app in plain JavaScript, or an adapter, may send anything.
      const context = { requestId, clientAddress: typeof clientAddress === 'string' ? clientAddress : 'in-process' };
      let handled: Promise<CommandResult>;
      try {
        handled = this.#handler(checkCommand(command), context);
      } catch (error) {
        handled = Promise.reject(error);
      }
      this.#inFlight++;
      handled.then(
        (result) => this.#settle({ requestId, ok: true, result }),
        (error: unknown) => this.#settle({ requestId, ok: false, error: toErrorShape(error) }),
      );
    });
  }

  #settle(settled: RequestSettled): void {
    void this.#bus.emit('request.settled', settled);
    this.#inFlight--;
    if (this.#inFlight === 0) this.#drained?.();
  }

  /** Takes no new requests and waits (up to `graceMs` on the clock) for the ones running to be answered. */
  async stop(graceMs: number): Promise<void> {
    this.#subscription?.unsubscribe();
    this.#subscription = null;
    if (this.#inFlight === 0) return;
    let timer: unknown;
    await new Promise<void>((resolve) => {
      this.#drained = resolve;
      timer = this.#clock.setTimeout(resolve, graceMs);
    });
    this.#drained = null;
    this.#clock.clearTimeout(timer);
  }
}
