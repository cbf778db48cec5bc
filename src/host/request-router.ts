import type { Subscription } from 'rxjs';
import { createActor, type ActorRefFrom } from 'xstate';
import { requestMachine, type RequestDispatch, type RequestPlan, type RequestTimeouts } from '../../machines/request.machine.ts';
import type { Bus } from '../bus/bus.ts';
import type { Clock } from '../clock/clock.ts';
import { Deadlines } from '../clock/deadlines.ts';
import { toErrorShape, type ErrorShape } from '../errors/safekeep-error.ts';
import type { CommandHandler, CommandResult } from '../protocol/commands.ts';
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
  /** Stopped: nothing more is planned, dispatched or answered. */
  #stopped = false;
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
        run: (_, plan) => this.#guarded(plan.connectionId, () => this.#run(plan)),
        expire: (_, { now }) => {
          for (const line of this.#lines.values()) {
            this.#guarded(line.connectionId, () => {
              line.expire(now);
              this.#forgetIfDone(line);
            });
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
    // The actions are guarded, so this should never fire; if it does, the log says so rather than the process dying.
    this.#flow.subscribe({ error: (error) => this.#reportFailure('flow', 'none', toErrorShape(error)) });
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

  /** Takes no more requests and starts nothing more: a request running now may finish, but what is queued behind it is dropped. */
  stop(): void {
    this.#stopped = true;
    for (const subscription of this.#subscriptions) subscription.unsubscribe();
    this.#flow.send({ type: 'STOP' });
    this.#flow.stop();
    for (const line of this.#lines.values()) line.close();
    this.#deadlines.clear();
    this.#lines.clear();
    this.#gone.clear();
    this.#clientAddresses.clear();
  }

  /**
   * Runs a step of the flow so that an unexpected throw (a bug) costs the
   * connection's current requests an answer, logged, never the host-wide
   * flow: its line is closed, and the connection gets nothing more.
   */
  #guarded(connectionId: string, work: () => void): void {
    try {
      work();
    } catch (error) {
      this.#reportFailure('flow', connectionId, toErrorShape(error));
      this.#lines.get(connectionId)?.close();
      this.#lines.delete(connectionId);
    }
  }

  #reportFailure(requestId: string, connectionId: string, error: ErrorShape): void {
    void this.#bus.emit('request.failed', { requestId, connectionId, error });
  }

  #run(plan: RequestPlan): void {
    if (this.#stopped) return;
    let line = this.#lines.get(plan.connectionId);
    if (!line) {
      const { connectionId } = plan;
      line = new RequestLine(plan, {
        dispatch: (owner, step) => this.#dispatch(owner, step),
        deliver: (reply) => void this.#bus.emit('reply.ready', reply),
        reportFailure: (requestId, error) => this.#reportFailure(requestId, connectionId, error),
        now: () => this.#clock.now(),
      });
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
    let handled: Promise<CommandResult>;
    try {
      handled = this.#handler(command, { requestId, clientAddress });
    } catch (error) {
      handled = Promise.reject(error);
    }
    handled.then(
      (result) =>
        this.#guarded(connectionId, () => {
          if (this.#stopped) return;
          line.answered(requestId, result);
          this.#forgetIfDone(line);
        }),
      (error: unknown) =>
        this.#guarded(connectionId, () => {
          if (this.#stopped) return;
          // The client is told only a generic sentence for an unexpected error; its own words go to the log (see RequestLine.failed).
          line.failed(requestId, toErrorShape(error));
          this.#forgetIfDone(line);
        }),
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
