import type { Subscription } from 'rxjs';
import { createActor, type ActorRefFrom } from 'xstate';
import { requestMachine, type RequestTimeouts } from '../../machines/request.machine.ts';
import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../clock/clock.ts';
import { toErrorShape } from '../errors/safekeep-error.ts';
import type { CommandHandler } from '../protocol/commands.ts';
import type { DialectCodec } from '../protocol/dialect.ts';
import type { Dialect } from '../protocol/messages.ts';
import { ticker } from './ticker.ts';

type FlowActor = ActorRefFrom<typeof requestMachine>;

/**
 * Gives each connection its own request-flow actor, feeds it the connection's
 * requests from the bus, and carries out what it dispatches with the command
 * handler. Replies go back on the bus as `reply.ready`.
 */
export class RequestRouter {
  readonly #bus: Bus;
  readonly #clock: Clock;
  readonly #handler: CommandHandler;
  readonly #codecs: Record<Dialect, DialectCodec>;
  readonly #timeouts: RequestTimeouts;
  readonly #flows = new Map<string, FlowActor>();
  /** Each open connection's client address, for commands that count per client (login throttling). */
  readonly #clientAddresses = new Map<string, string>();
  readonly #subscriptions: Subscription[] = [];

  constructor(deps: { bus: Bus; clock: Clock; handler: CommandHandler; codecs: Record<Dialect, DialectCodec>; timeouts: RequestTimeouts }) {
    this.#bus = deps.bus;
    this.#clock = deps.clock;
    this.#handler = deps.handler;
    this.#codecs = deps.codecs;
    this.#timeouts = deps.timeouts;
  }

  start(): void {
    this.#subscriptions.push(
      this.#bus.on$('connection.opened').subscribe(({ connectionId, remoteAddress }) => {
        this.#clientAddresses.set(connectionId, remoteAddress);
      }),
      this.#bus.on$('request.received').subscribe((request) => {
        this.#flowFor(request.connectionId, request.dialect).send({ type: 'REQUEST', request });
      }),
      this.#bus.on$('connection.closed').subscribe(({ connectionId }) => {
        this.#clientAddresses.delete(connectionId);
        this.#flows.get(connectionId)?.send({ type: 'CONNECTION_CLOSED' });
      }),
    );
  }

  stop(): void {
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    for (const flow of this.#flows.values()) flow.stop();
    this.#flows.clear();
  }

  #flowFor(connectionId: string, dialect: Dialect): FlowActor {
    const existing = this.#flows.get(connectionId);
    if (existing) return existing;
    const machine = requestMachine.provide({
      actors: { ticker: ticker(this.#clock) },
      actions: {
        dispatch: ({ self }, { requestId, command }) => {
          // A client gone before its queued request runs shares one 'unknown' address: never a fresh, unthrottled one.
          const clientAddress = this.#clientAddresses.get(connectionId) ?? 'unknown';
          this.#handler(command, { requestId, clientAddress }).then(
            (result) => self.send({ type: 'HANDLED', requestId, result }),
            (error: unknown) => {
              const shape = toErrorShape(error);
              // The client is told only a generic sentence for an unexpected error; its own words go to the log through this event.
              if (shape.detail !== undefined) void this.#bus.emit('request.failed', { requestId, connectionId, error: shape });
              self.send({ type: 'FAILED', requestId, error: shape });
            },
          );
        },
        deliver: (_, reply) => {
          void this.#bus.emit('reply.ready', reply);
        },
      },
    });
    const flow = createActor(machine, {
      clock: this.#clock,
      input: { connectionId, codec: this.#codecs[dialect], timeouts: this.#timeouts },
    });
    flow.subscribe({
      complete: () => this.#flows.delete(connectionId),
      error: () => this.#flows.delete(connectionId),
    });
    this.#flows.set(connectionId, flow);
    flow.start();
    return flow;
  }
}
