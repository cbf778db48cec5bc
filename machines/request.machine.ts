import { assign, setup } from 'xstate';
import type { ErrorShape } from '../src/errors/safekeep-error.ts';
import type { Command, CommandResult } from '../src/protocol/commands.ts';
import type { DialectCodec, ParseOutcome } from '../src/protocol/dialect.ts';
import type { ReplyReady, RequestReceived } from '../src/protocol/messages.ts';

/**
 * The request flow of one connection. Requests queue up and are handled one
 * at a time, so replies leave in the order the requests came:
 *
 *   waiting → received → validated → dispatched → replied → waiting …
 *                  ↘ (invalid) ──────────────────↗
 *
 * One actor serves a whole connection (creating an actor costs far more than
 * an event does). The machine parses and renders through the connection's
 * dialect, which is pure; the host provides `dispatch` (start the command and
 * report back with HANDLED or FAILED) and `deliver` (put the reply on the bus).
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
  /** The client has gone: finish what is queued, then stop. */
  | { type: 'CONNECTION_CLOSED' };

export interface RequestFlowContext {
  readonly connectionId: string;
  readonly codec: DialectCodec;
  readonly timeouts: RequestTimeouts;
  readonly queue: readonly RequestReceived[];
  readonly current: RequestReceived | null;
  readonly parsed: ParseOutcome | null;
  readonly reply: ReplyReady | null;
  readonly closing: boolean;
}

export interface DispatchParams {
  readonly requestId: string;
  readonly command: Command;
}

const commandOf = (context: RequestFlowContext): Command => {
  if (!context.parsed?.ok) throw new Error('request flow: no valid command in this state');
  return context.parsed.command;
};

const replyWith = (context: RequestFlowContext, text: string, close = false): ReplyReady => {
  const request = context.current as RequestReceived;
  return { connectionId: context.connectionId, requestId: request.requestId, text, close };
};

const isCurrent = (context: RequestFlowContext, requestId: string): boolean => context.current?.requestId === requestId;

export const requestMachine = setup({
  types: {
    context: {} as RequestFlowContext,
    events: {} as RequestFlowEvent,
    input: {} as RequestFlowInput,
  },
  actions: {
    // Provided by the host.
    dispatch: (_, _params: DispatchParams) => {
      throw new Error('requestMachine: no dispatch action provided');
    },
    deliver: (_, _reply: ReplyReady) => {
      throw new Error('requestMachine: no deliver action provided');
    },
  },
  delays: {
    requestTimeout: ({ context }) =>
      commandOf(context).kind === 'backup.run' ? context.timeouts.backupMs : context.timeouts.defaultMs,
  },
  guards: {
    hasQueued: ({ context }) => context.queue.length > 0,
    closing: ({ context }) => context.closing,
    parsedOk: ({ context }) => context.parsed?.ok === true,
    isExit: ({ context }) => commandOf(context).kind === 'connection.exit',
  },
}).createMachine({
  id: 'requestFlow',
  context: ({ input }) => ({
    connectionId: input.connectionId,
    codec: input.codec,
    timeouts: input.timeouts,
    queue: [],
    current: null,
    parsed: null,
    reply: null,
    closing: false,
  }),
  on: {
    REQUEST: { actions: assign({ queue: ({ context, event }) => [...context.queue, event.request] }) },
    CONNECTION_CLOSED: { actions: assign({ closing: true }) },
  },
  initial: 'waiting',
  states: {
    waiting: {
      always: [
        { guard: 'hasQueued', target: 'received' },
        { guard: 'closing', target: 'closed' },
      ],
    },
    received: {
      entry: assign(({ context }) => {
        const [current, ...rest] = context.queue as [RequestReceived, ...RequestReceived[]];
        return { current, queue: rest, parsed: context.codec.parse(current) };
      }),
      always: [
        { guard: 'parsedOk', target: 'validated' },
        {
          target: 'replied',
          actions: assign({
            reply: ({ context }) => {
              const { error } = context.parsed as Extract<ParseOutcome, { ok: false }>;
              return replyWith(context, context.codec.renderError(context.current as RequestReceived, error));
            },
          }),
        },
      ],
    },
    validated: {
      always: [
        // `exit` needs no handler: it is an instruction to this very flow.
        { guard: 'isExit', target: 'replied', actions: assign({ reply: ({ context }) => replyWith(context, '', true) }) },
        { target: 'dispatched' },
      ],
    },
    dispatched: {
      entry: {
        type: 'dispatch',
        params: ({ context }) => ({ requestId: (context.current as RequestReceived).requestId, command: commandOf(context) }),
      },
      after: {
        requestTimeout: {
          target: 'replied',
          actions: assign({
            reply: ({ context }) =>
              replyWith(
                context,
                context.codec.renderError(context.current as RequestReceived, {
                  code: 'REQUEST_TIMEOUT',
                  message: 'The request took too long; what it started may still finish.',
                }),
              ),
          }),
        },
      },
      on: {
        HANDLED: {
          guard: ({ context, event }) => isCurrent(context, event.requestId),
          target: 'replied',
          actions: assign({
            reply: ({ context, event }) =>
              replyWith(context, context.codec.renderResult(context.current as RequestReceived, event.result)),
          }),
        },
        FAILED: {
          guard: ({ context, event }) => isCurrent(context, event.requestId),
          target: 'replied',
          actions: assign({
            reply: ({ context, event }) =>
              replyWith(context, context.codec.renderError(context.current as RequestReceived, event.error)),
          }),
        },
      },
    },
    replied: {
      entry: { type: 'deliver', params: ({ context }) => context.reply as ReplyReady },
      always: [
        // After `exit`, whatever else the client queued on this connection is dropped with it.
        { guard: ({ context }) => context.reply?.close === true, target: 'closed' },
        { target: 'waiting', actions: assign({ current: null, parsed: null, reply: null }) },
      ],
    },
    closed: { type: 'final' },
  },
});

export type RequestMachine = typeof requestMachine;
