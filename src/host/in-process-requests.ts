import type { Subscription } from 'rxjs';
import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../clock/clock.ts';
import { toErrorShape } from '../errors/safekeep-error.ts';
import type { CommandHandler, CommandResult } from '../protocol/commands.ts';
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
  readonly #inFlight = new Set<Promise<void>>();
  #subscription: Subscription | null = null;

  constructor(deps: { bus: Bus; clock: Clock; handler: CommandHandler }) {
    this.#bus = deps.bus;
    this.#clock = deps.clock;
    this.#handler = deps.handler;
  }

  start(): void {
    this.#subscription = this.#bus.on$('request.submitted').subscribe(({ requestId, command, clientAddress }) => {
      // Checked here, not only by the types: an app in plain JavaScript, or an adapter, may send anything.
      const context = { requestId, clientAddress: typeof clientAddress === 'string' ? clientAddress : 'in-process' };
      let handled: Promise<CommandResult>;
      try {
        handled = this.#handler(checkCommand(command), context);
      } catch (error) {
        handled = Promise.reject(error);
      }
      const settled = handled.then(
        (result) => this.#bus.emit('request.settled', { requestId, ok: true, result }),
        (error: unknown) => this.#bus.emit('request.settled', { requestId, ok: false, error: toErrorShape(error) }),
      );
      this.#inFlight.add(settled);
      void settled.then(() => this.#inFlight.delete(settled));
    });
  }

  /** Takes no new requests and waits (up to `graceMs` on the clock) for the ones running to be answered. */
  async stop(graceMs: number): Promise<void> {
    this.#subscription?.unsubscribe();
    this.#subscription = null;
    if (this.#inFlight.size === 0) return;
    let timer: unknown;
    const graceOver = new Promise<void>((resolve) => {
      timer = this.#clock.setTimeout(resolve, graceMs);
    });
    await Promise.race([Promise.allSettled([...this.#inFlight]), graceOver]);
    this.#clock.clearTimeout(timer);
  }
}
