import type { Subscription } from 'rxjs';
import { createActor, type ActorRefFrom } from 'xstate';
import { requestMachine, type RequestDispatch, type RequestPlan, type RequestTimeouts } from '../../machines/request.machine.ts';
import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../clock/clock.ts';
import { Deadlines } from '../clock/deadlines.ts';
import { toErrorShape } from '../errors/safekeep-error.ts';
import type { CommandHandler } from '../protocol/commands.ts';
import type { DialectCodec } from '../protocol/dialect.ts';
import type { Dialect } from '../protocol/messages.ts';
import { RequestLine } from './request-line.ts';

type FlowActor = ActorRefFrom<typeof requestMachine>;

/**
 * Runs the host's request flow: feeds it each read's requests from the bus,
 * keeps a line per connection that has requests (an idle connection has
 * none), carries out what the lines dispatch with the command handler, and
 * puts replies back on the bus as `reply.ready`. Everything here runs inside
 * the bus's synchronous delivery: a request's reply can be written in the
 * same turn of the event loop as the read that brought it.
 */
export class RequestRouter {
  readonly #bus: Bus;
  readonly #clock: Clock;
  readonly #handler: CommandHandler;
  readonly #flow: FlowActor;
  readonly #lines = new Map<string, RequestLine>();
  /** Each open connection's client address, for commands that count per client (login throttling). */
  readonly #clientAddresses = new Map<string, string>();
  /** Connections that have gone: their lines finish what is planned, then go too. */
  readonly #gone = new Set<string>();
  readonly #subscriptions: Subscription[] = [];
  /** The deadline of each line's running request: when one passes, the flow is told the time (TICK). */
  readonly #deadlines: Deadlines<RequestLine>;
  readonly #tick = (): void => {
    this.#flow.send({ type: 'TICK', now: this.#clock.now() });
  };

  constructor(deps: { bus: Bus; clock: Clock; handler: CommandHandler; codecs: Record<Dialect, DialectCodec>; timeouts: RequestTimeouts }) {
    this.#bus = deps.bus;
    this.#clock = deps.clock;
    this.#handler = deps.handler;
    this.#deadlines = new Deadlines(deps.clock);
    const machine = requestMachine.provide({
      actions: {
        run: (_, plan) => this.#run(plan),
        expire: (_, { now }) => {
          for (const line of this.#lines.values()) {
            line.expire(now);
            this.#forgetIfDone(line);
          }
        },
        release: (_, { connectionId }) => {
          this.#gone.add(connectionId);
          const line = this.#lines.get(connectionId);
          if (line) this.#forgetIfDone(line);
          else this.#gone.delete(connectionId);
        },
      },
    });
    this.#flow = createActor(machine, { clock: deps.clock, input: { codecs: deps.codecs, timeouts: deps.timeouts } });
  }

  start(): void {
    this.#flow.start();
    this.#subscriptions.push(
      this.#bus.on$('connection.opened').subscribe(({ connectionId, remoteAddress }) => {
        this.#clientAddresses.set(connectionId, remoteAddress);
      }),
      this.#bus.on$('requests.received').subscribe(({ connectionId, requests }) => {
        this.#flow.send({ type: 'REQUESTS', connectionId, requests });
      }),
      this.#bus.on$('connection.closed').subscribe(({ connectionId }) => {
        this.#clientAddresses.delete(connectionId);
        this.#flow.send({ type: 'CONNECTION_CLOSED', connectionId });
      }),
    );
  }

  stop(): void {
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#flow.send({ type: 'STOP' });
    this.#flow.stop();
    this.#deadlines.clear();
    this.#lines.clear();
  }

  #run(plan: RequestPlan): void {
    let line = this.#lines.get(plan.connectionId);
    if (!line) {
      line = new RequestLine(plan, { dispatch: (owner, step) => this.#dispatch(owner, step), deliver: (reply) => void this.#bus.emit('reply.ready', reply) });
      this.#lines.set(plan.connectionId, line);
    }
    line.take(plan.steps);
    this.#forgetIfDone(line);
  }

  #dispatch(line: RequestLine, { request: { requestId }, command, deadline }: RequestDispatch): void {
    const { connectionId } = line;
    // A client gone before its queued request runs shares one 'unknown' address: never a fresh, unthrottled one.
    const clientAddress = this.#clientAddresses.get(connectionId) ?? 'unknown';
    this.#deadlines.add(line, deadline, this.#tick);
    this.#handler(command, { requestId, clientAddress }).then(
      (result) => {
        line.answered(requestId, result);
        this.#forgetIfDone(line);
      },
      (error: unknown) => {
        const shape = toErrorShape(error);
        // The client is told only a generic sentence for an unexpected error; its own words go to the log through this event.
        if (shape.detail !== undefined) void this.#bus.emit('request.failed', { requestId, connectionId, error: shape });
        line.failed(requestId, shape);
        this.#forgetIfDone(line);
      },
    );
  }

  /**
   * An idle line is dropped (an idle connection costs the flow nothing), and
   * so is one whose connection has gone and whose plan is done; a line that
   * answered `exit` stays until its connection closes, to drop what follows.
   */
  #forgetIfDone(line: RequestLine): void {
    if (line.deadline === null) this.#deadlines.delete(line);
    if (!line.idle || this.#lines.get(line.connectionId) !== line) return;
    const gone = this.#gone.has(line.connectionId);
    if (line.exited && !gone) return;
    this.#lines.delete(line.connectionId);
    this.#gone.delete(line.connectionId);
  }
}
