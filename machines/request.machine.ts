import { setup } from 'xstate';
import { toErrorShape, type ErrorShape } from '../src/errors/safekeep-error.ts';
import type { Command } from '../src/protocol/commands.ts';
import type { DialectCodec, ParseOutcome } from '../src/protocol/dialect.ts';
import { RequestTimeoutError } from '../src/protocol/errors.ts';
import type { Dialect, RequestReceived } from '../src/protocol/messages.ts';

/**
 * The request flow. Every request goes
 *
 *   received → validated → dispatched → replied
 *
 * and a connection's requests are handled one at a time, so replies leave in
 * the order the requests came. The machine makes the decisions; a
 * connection's line (`src/host/request-line.ts`, provided by the host) keeps
 * the order and does the IO:
 *
 * - `REQUESTS` brings every request of one read of one connection. In one
 *   step the machine validates each with the connection's dialect and hands
 *   the line its plan: dispatch this command (by this deadline), answer that
 *   one with the dialect's error, close the connection at `exit` (what comes
 *   behind an `exit` is dropped).
 * - `TICK` brings the time, from the injected clock, when a running
 *   request's deadline has come: the lines answer the ones past their
 *   deadline with REQUEST_TIMEOUT.
 * - `CONNECTION_CLOSED`: that client has gone; its line finishes what is
 *   planned (a write the client asked for still happens) and is dropped.
 *
 * One actor serves the whole host, and each event is one targetless
 * transition with one action: a request costs at most one transition (a
 * pipelined read's requests share one), and no snapshot holds per-request
 * state. Measured on this machine, a transition that changes state or
 * assigns context costs two to five times one that does neither, and an
 * actor per connection costs more to create than a whole request; the
 * answers come back to the line straight from the handler, not through the
 * machine, for the same reason.
 */

export interface RequestTimeouts {
  /** Limit for quick requests (`revert`, status…). */
  readonly defaultMs: number;
  /** Limit for requests that run a backup copy. */
  readonly backupMs: number;
}

export interface RequestFlowInput {
  readonly codecs: Readonly<Record<Dialect, DialectCodec>>;
  readonly timeouts: RequestTimeouts;
}

export type RequestFlowEvent =
  | { type: 'REQUESTS'; connectionId: string; requests: readonly RequestReceived[] }
  /** The time, from the injected clock. */
  | { type: 'TICK'; now: number }
  /** The client has gone: finish what is planned, then forget the connection. */
  | { type: 'CONNECTION_CLOSED'; connectionId: string }
  /** The host is stopping. */
  | { type: 'STOP' };

/** A valid request: its command is started, and answered with REQUEST_TIMEOUT if it has not finished by `deadline`. */
export interface RequestDispatch {
  readonly kind: 'dispatch';
  readonly request: RequestReceived;
  readonly command: Command;
  /** Clock time after which the request is answered with REQUEST_TIMEOUT. */
  readonly deadline: number;
}

/** What the line does with one request, in its turn. */
export type RequestStep =
  | RequestDispatch
  /** Not a valid request: answered with the dialect's error, without dispatching. */
  | { readonly kind: 'reject'; readonly request: RequestReceived; readonly error: ErrorShape }
  /** `exit`: an instruction to the flow itself; the connection closes once it is answered. */
  | { readonly kind: 'exit'; readonly request: RequestReceived };

export interface RequestPlan {
  readonly connectionId: string;
  readonly codec: DialectCodec;
  readonly steps: readonly RequestStep[];
}

export interface RequestFlowContext {
  readonly codecs: Readonly<Record<Dialect, DialectCodec>>;
  readonly timeouts: RequestTimeouts;
}

export const TIMEOUT_ERROR: ErrorShape = new RequestTimeoutError('The request took too long; what it started may still finish.').toShape();

/** A verify pass reads every version, a run copies a file: each gets as long as a backup may take. */
function limitFor(command: Command, timeouts: RequestTimeouts): number {
  return command.kind === 'backup.run' || command.kind === 'backup.verify' ? timeouts.backupMs : timeouts.defaultMs;
}

/** Validates a read's requests, in order, into what the line does with each; nothing after an `exit`. */
export function planRequests(context: RequestFlowContext, connectionId: string, requests: readonly RequestReceived[]): RequestPlan {
  const codec = context.codecs[requests[0]?.dialect ?? 'text'];
  const steps: RequestStep[] = [];
  for (const request of requests) {
    let outcome: ParseOutcome;
    try {
      outcome = codec.parse(request);
    } catch (error) {
      // A parser that fails unexpectedly costs its request an INTERNAL reply, not the flow.
      outcome = { ok: false, error: toErrorShape(error) };
    }
    if (!outcome.ok) {
      steps.push({ kind: 'reject', request, error: outcome.error });
    } else if (outcome.command.kind === 'connection.exit') {
      steps.push({ kind: 'exit', request });
      break;
    } else {
      steps.push({ kind: 'dispatch', request, command: outcome.command, deadline: request.receivedAt + limitFor(outcome.command, context.timeouts) });
    }
  }
  return { connectionId, codec, steps };
}

export const requestMachine = setup({
  types: {
    context: {} as RequestFlowContext,
    events: {} as RequestFlowEvent,
    input: {} as RequestFlowInput,
  },
  actions: {
    // Provided by the host: the connection's line takes the plan.
    run: (_, _plan: RequestPlan) => {
      throw new Error('requestMachine: no run action provided');
    },
    // Provided by the host: every line answers its request past the deadline, if it has one.
    expire: (_, _params: { now: number }) => {
      throw new Error('requestMachine: no expire action provided');
    },
    // Provided by the host: the connection's line finishes what is planned, then goes.
    release: (_, _params: { connectionId: string }) => {
      throw new Error('requestMachine: no release action provided');
    },
  },
}).createMachine({
  id: 'requestFlow',
  context: ({ input }) => ({ codecs: input.codecs, timeouts: input.timeouts }),
  initial: 'serving',
  states: {
    serving: {
      on: {
        REQUESTS: { actions: { type: 'run', params: ({ context, event }) => planRequests(context, event.connectionId, event.requests) } },
        TICK: { actions: { type: 'expire', params: ({ event }) => ({ now: event.now }) } },
        CONNECTION_CLOSED: { actions: { type: 'release', params: ({ event }) => ({ connectionId: event.connectionId }) } },
        STOP: 'stopped',
      },
    },
    stopped: { type: 'final' },
  },
});

export type RequestMachine = typeof requestMachine;
