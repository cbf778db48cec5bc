import { assign, enqueueActions, fromCallback, setup } from 'xstate';
import type { ErrorShape } from '../src/errors/safekeep-error.ts';
import type { Command, CommandResult } from '../src/protocol/commands.ts';
import type { DialectCodec, ParseOutcome } from '../src/protocol/dialect.ts';
import { RequestTimeoutError } from '../src/protocol/errors.ts';
import type { ReplyReady, RequestReceived } from '../src/protocol/messages.ts';
import type { ReplyText } from '../src/protocol/reply-chunks.ts';

/**
 * The request flow of one connection. Every request goes
 *
 *   received → validated → dispatched → replied
 *
 * and requests are handled one at a time, so replies leave in the order the
 * requests came. In machine terms:
 *
 * - `waiting` receives a REQUEST and validates it (its guards parse it with
 *   the connection's dialect): a valid one is dispatched, an invalid one is
 *   replied to at once with the dialect's error, `exit` closes the flow.
 * - `dispatched` waits for HANDLED or FAILED from the command handler, or for
 *   a TICK past the request's deadline, and replies. Requests that arrive
 *   meanwhile queue up; after each reply the next one is raised back to
 *   `waiting`, which handles it like a new arrival.
 *
 * One actor serves a whole connection, and a request costs two transitions:
 * no transient states and no per-request timer, because here each of those
 * costs more than the rest of the request path together. Time comes from
 * TICK events that a host-provided `ticker` sends from the injected clock.
 * The host also provides `dispatch` (start the command, answer with HANDLED or
 * FAILED) and `deliver` (put the reply on the bus).
 */

export interface RequestTimeouts {
  /** Limit for quick requests (`revert`, status…). */
  readonly defaultMs: number;
  /** Limit for requests that run a backup copy. */
  readonly backupMs: number;
}

export interface RequestFlowInput {
  readonly connectionId: string;
  readonly codec: DialectCodec;
  readonly timeouts: RequestTimeouts;
}

export type RequestFlowEvent =
  | { type: 'REQUEST'; request: RequestReceived }
  | { type: 'HANDLED'; requestId: string; result: CommandResult }
  | { type: 'FAILED'; requestId: string; error: ErrorShape }
  /** The time, from the injected clock, about once a second. */
  | { type: 'TICK'; now: number }
  /** The client has gone: finish what is queued, then stop. */
  | { type: 'CONNECTION_CLOSED' };

interface Dispatched {
  readonly request: RequestReceived;
  readonly command: Command;
  /** Clock time after which the request is answered with REQUEST_TIMEOUT. */
  readonly deadline: number;
}

export interface RequestFlowContext {
  readonly connectionId: string;
  readonly codec: DialectCodec;
  readonly timeouts: RequestTimeouts;
  readonly queue: readonly RequestReceived[];
  readonly current: Dispatched | null;
  readonly closing: boolean;
}

export interface DispatchParams {
  readonly requestId: string;
  readonly command: Command;
}

export const TIMEOUT_ERROR: ErrorShape = new RequestTimeoutError('The request took too long; what it started may still finish.').toShape();

// Guards and actions both need a request's parse; it is pure, so each request is parsed once.
const parses = new WeakMap<RequestReceived, ParseOutcome>();
const parsed = (context: RequestFlowContext, request: RequestReceived): ParseOutcome => {
  let outcome = parses.get(request);
  if (!outcome) {
    outcome = context.codec.parse(request);
    parses.set(request, outcome);
  }
  return outcome;
};

const commandOf = (context: RequestFlowContext, request: RequestReceived): Command | null => {
  const outcome = parsed(context, request);
  return outcome.ok ? outcome.command : null;
};

const dispatchedFor = (context: RequestFlowContext, request: RequestReceived): Dispatched => {
  const command = commandOf(context, request) as Command;
  // A verify pass reads every version: as long as a backup may take.
  const limit = command.kind === 'backup.run' || command.kind === 'backup.verify' ? context.timeouts.backupMs : context.timeouts.defaultMs;
  return { request, command, deadline: request.receivedAt + limit };
};

const reply = (context: RequestFlowContext, request: RequestReceived, text: ReplyText, close = false): ReplyReady => ({
  connectionId: context.connectionId,
  requestId: request.requestId,
  text,
  close,
  ...(context.codec.isSeedMessage?.(request) ? { seedReply: true } : {}),
});

const invalidReply = (context: RequestFlowContext, request: RequestReceived): ReplyReady => {
  const outcome = parsed(context, request) as Extract<ParseOutcome, { ok: false }>;
  return reply(context, request, context.codec.renderError(request, outcome.error));
};

/** The reply to the dispatched request, rendered by `render`. */
const replyToCurrent = (context: RequestFlowContext, render: (request: RequestReceived) => ReplyText): ReplyReady => {
  const { request } = context.current as Dispatched;
  return reply(context, request, render(request));
};

const isCurrent = (context: RequestFlowContext, requestId: string): boolean => context.current?.request.requestId === requestId;

export const requestMachine = setup({
  types: {
    context: {} as RequestFlowContext,
    events: {} as RequestFlowEvent,
    input: {} as RequestFlowInput,
  },
  actors: {
    // Provided by the host: sends { type: 'TICK', now } from the injected clock about once a second.
    ticker: fromCallback(() => {
      throw new Error('requestMachine: no ticker actor provided');
    }),
  },
  actions: {
    // Provided by the host.
    dispatch: (_, _params: DispatchParams) => {
      throw new Error('requestMachine: no dispatch action provided');
    },
    deliver: (_, _reply: ReplyReady) => {
      throw new Error('requestMachine: no deliver action provided');
    },
    /** After any reply: hand the next queued request back to `waiting`, or finish closing. */
    continueQueue: enqueueActions(({ context, enqueue }) => {
      if (context.current) enqueue.assign({ current: null });
      const [next, ...rest] = context.queue;
      if (next) {
        enqueue.assign({ queue: rest });
        enqueue.raise({ type: 'REQUEST', request: next });
      } else if (context.closing) {
        enqueue.raise({ type: 'CONNECTION_CLOSED' });
      }
    }),
  },
  guards: {
    isValid: ({ context, event }) => event.type === 'REQUEST' && commandOf(context, event.request) !== null,
    isExit: ({ context, event }) => event.type === 'REQUEST' && commandOf(context, event.request)?.kind === 'connection.exit',
    isCurrentAnswer: ({ context, event }) => (event.type === 'HANDLED' || event.type === 'FAILED') && isCurrent(context, event.requestId),
    pastDeadline: ({ context, event }) => event.type === 'TICK' && context.current !== null && event.now >= context.current.deadline,
  },
}).createMachine({
  id: 'requestFlow',
  context: ({ input }) => ({
    connectionId: input.connectionId,
    codec: input.codec,
    timeouts: input.timeouts,
    queue: [],
    current: null,
    closing: false,
  }),
  invoke: { src: 'ticker' },
  initial: 'waiting',
  states: {
    waiting: {
      on: {
        REQUEST: [
          // `exit` needs no handler: it is an instruction to this very flow; what was queued behind it is dropped.
          {
            guard: 'isExit',
            target: 'closed',
            actions: { type: 'deliver', params: ({ context, event }) => reply(context, event.request, '', true) },
          },
          {
            guard: 'isValid',
            target: 'dispatched',
            actions: [
              assign({ current: ({ context, event }) => dispatchedFor(context, event.request) }),
              {
                type: 'dispatch',
                params: ({ context, event }) => ({ requestId: event.request.requestId, command: commandOf(context, event.request) as Command }),
              },
            ],
          },
          {
            actions: [{ type: 'deliver', params: ({ context, event }) => invalidReply(context, event.request) }, 'continueQueue'],
          },
        ],
        CONNECTION_CLOSED: 'closed',
      },
    },
    dispatched: {
      on: {
        REQUEST: { actions: assign({ queue: ({ context, event }) => [...context.queue, event.request] }) },
        CONNECTION_CLOSED: { actions: assign({ closing: true }) },
        HANDLED: {
          guard: 'isCurrentAnswer',
          target: 'waiting',
          actions: [
            { type: 'deliver', params: ({ context, event }) => replyToCurrent(context, (request) => context.codec.renderResult(request, event.result)) },
            'continueQueue',
          ],
        },
        FAILED: {
          guard: 'isCurrentAnswer',
          target: 'waiting',
          actions: [
            { type: 'deliver', params: ({ context, event }) => replyToCurrent(context, (request) => context.codec.renderError(request, event.error)) },
            'continueQueue',
          ],
        },
        TICK: {
          guard: 'pastDeadline',
          target: 'waiting',
          actions: [
            { type: 'deliver', params: ({ context }) => replyToCurrent(context, (request) => context.codec.renderError(request, TIMEOUT_ERROR)) },
            'continueQueue',
          ],
        },
      },
    },
    closed: { type: 'final' },
  },
});

export type RequestMachine = typeof requestMachine;
