import { isBookMessageType } from '../../src/book/book-messages.ts';
import type { BusEvent } from '../../src/bus/events.ts';
import type { Clock } from '../../src/clock/clock.ts';
import { isBackupMessageType } from '../../src/protocol/backup-messages.ts';
import type { Command } from '../../src/protocol/commands.ts';
import type { RequestReceived } from '../../src/protocol/messages.ts';
import type { ReplyText } from '../../src/protocol/reply-chunks.ts';
import type { LogRecord } from './log-records.ts';

/** Requests awaiting their reply, at most this many (a reply that never comes must not grow the map forever). */
const MAX_OPEN_REQUESTS = 10_000;
/** Replies longer than this are not read for their outcome (a long reply is a listing, not an error). */
const MAX_OUTCOME_SCAN = 4096;
const TEXT_WORDS = new Set(['status', 'versions', 'backup', 'revert', 'restore', 'add', 'pause', 'resume', 'remove', 'verify', 'exit', 'forget']);
const SEED_MESSAGES = new Set(['save_password', 'number_of_users', 'check_users']);
const ERROR_CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

interface OpenRequest {
  readonly connectionId?: string;
  readonly dialect: 'text' | 'json' | 'in-process';
  readonly type: string;
  readonly receivedAt: number;
  /** Set from the reply before it is written: `ok`, or the error code. */
  outcome?: { readonly ok: true } | { readonly ok: false; readonly code: string };
}

/**
 * One line per request: what kind it was, how it ended and how long it took,
 * never its body or its reply (either may hold a password or a token). A
 * request's type is told only when it is a known word or message type, so a
 * client's own text never reaches the log.
 *
 * @example
 * const lines = new RequestLines(systemClock);
 * bus.events$.subscribe((event) => lines.records(event).forEach(write));
 */
export class RequestLines {
  readonly #clock: Clock;
  readonly #open = new Map<string, OpenRequest>();
  readonly #track: boolean;

  /**
   * `track: false` (the log is above `debug`, where no request line would be
   * written) keeps no request and reads no reply: the request path pays
   * nothing for lines nobody sees. Only a failure with log-only words is told.
   */
  constructor(clock: Clock, { track = true }: { readonly track?: boolean } = {}) {
    this.#clock = clock;
    this.#track = track;
  }

  /** The records an event makes (none for most; one per request for a read that brought several). */
  records(event: BusEvent): LogRecord[] {
    if (!this.#track && event.name !== 'request.settled') return [];
    switch (event.name) {
      case 'requests.received':
        return event.payload.requests.map((request) => this.#received(request));
      case 'reply.ready': {
        const open = this.#open.get(event.payload.requestId);
        if (open) open.outcome = replyOutcome(open.dialect, event.payload.text);
        return [];
      }
      case 'reply.sent':
        return this.#answered(event.payload.requestId, event.payload.delivered);
      case 'connection.closed':
        // Requests the connection took with it are never answered.
        for (const [requestId, open] of this.#open) if (open.connectionId === event.payload.connectionId) this.#open.delete(requestId);
        return [];
      case 'request.submitted':
        this.#remember(event.payload.requestId, { dialect: 'in-process', type: commandType(event.payload.command), receivedAt: this.#clock.now() });
        return [];
      case 'request.settled': {
        const settled = event.payload;
        const open = this.#open.get(settled.requestId);
        if (open) open.outcome = settled.ok ? { ok: true } : { ok: false, code: settled.error.code };
        const [line] = this.#answered(settled.requestId, true);
        // An error with log-only words (an unexpected error's own, a path) is news at any level; its message is fit for a client.
        if (!settled.ok && settled.error.detail !== undefined) {
          const { error } = settled;
          const msg = `request ${settled.requestId} failed (${error.code}): ${error.message} [${error.detail}]`;
          return [line ? { ...line, level: 'error', msg } : { level: 'error', msg, fields: { event: 'request.settled', requestId: settled.requestId, code: error.code } }];
        }
        return line ? [line] : [];
      }
      default:
        return [];
    }
  }

  #received(request: RequestReceived): LogRecord {
    const type = requestType(request);
    this.#remember(request.requestId, { connectionId: request.connectionId, dialect: request.dialect, type, receivedAt: request.receivedAt });
    return {
      level: 'trace',
      msg: `request ${request.requestId}${on(request.requestId, request.connectionId)}: ${type} received`,
      fields: {
        event: 'requests.received',
        requestId: request.requestId,
        connectionId: request.connectionId,
        dialect: request.dialect,
        type,
        ...(request.problem ? { problem: request.problem } : {}),
      },
    };
  }

  #remember(requestId: string, open: OpenRequest): void {
    this.#open.set(requestId, open);
    if (this.#open.size > MAX_OPEN_REQUESTS) this.#open.delete(this.#open.keys().next().value as string);
  }

  #answered(requestId: string, delivered: boolean): LogRecord[] {
    const open = this.#open.get(requestId);
    if (!open) return [];
    this.#open.delete(requestId);
    const durationMs = Math.max(0, this.#clock.now() - open.receivedAt);
    const outcome = open.outcome ?? { ok: true };
    const how = outcome.ok ? 'ok' : `error (${outcome.code})`;
    const where = on(requestId, open.connectionId);
    return [
      {
        level: 'debug',
        msg: `request ${requestId}${where}: ${open.type} ${how} in ${durationMs} ms${delivered ? '' : ', client gone'}`,
        fields: {
          event: open.dialect === 'in-process' ? 'request.settled' : 'reply.sent',
          requestId,
          ...(open.connectionId ? { connectionId: open.connectionId } : {}),
          dialect: open.dialect,
          type: open.type,
          outcome: outcome.ok ? 'ok' : 'error',
          ...(outcome.ok ? {} : { code: outcome.code }),
          durationMs,
          delivered,
        },
      },
    ];
  }
}

/** ` on CONNECTION`, unless the request's id already names it (the socket's ids are `CONNECTION/n`): lines stay short. */
function on(requestId: string, connectionId: string | undefined): string {
  return connectionId === undefined || requestId.startsWith(`${connectionId}/`) ? '' : ` on ${connectionId}`;
}

/** A request's kind for the log: a known word or message type, its transport problem, or `unknown`; never the client's own text. */
export function requestType(request: RequestReceived): string {
  if (request.problem) return request.problem;
  if (request.dialect === 'text') {
    const word = /^\s*(\S+)/.exec(request.text)?.[1]?.toLowerCase();
    return word !== undefined && TEXT_WORDS.has(word) ? word : 'unknown';
  }
  const body = request.body;
  if (body === null) return 'unknown';
  const type = body['type'];
  if (Object.hasOwn(body, 'type')) return typeof type === 'string' && (isBookMessageType(type) || isBackupMessageType(type)) ? type : 'unknown';
  const message = body['message'];
  return typeof message === 'string' && SEED_MESSAGES.has(message) ? `seed ${message}` : 'unknown';
}

/** An in-process request's kind: the command, or the password book's message type. */
function commandType(command: Command): string {
  return command.kind === 'book' ? command.request.type : command.kind;
}

/**
 * Whether a reply says the request failed, and its code. Only a short plain
 * reply is looked at: one holding a secret (a Secret) is a success by
 * construction, and a streamed one (chunks) is a listing.
 */
export function replyOutcome(dialect: OpenRequest['dialect'], text: ReplyText): NonNullable<OpenRequest['outcome']> {
  if (typeof text !== 'string' || text.length > MAX_OUTCOME_SCAN) return { ok: true };
  if (dialect === 'text') {
    const coded = /^Error \(([A-Z0-9_]+)\)/.exec(text)?.[1];
    if (coded) return { ok: false, code: coded };
    if (text.startsWith('Invalid request')) return { ok: false, code: 'INVALID_REQUEST' };
    if (text.startsWith('Request too long')) return { ok: false, code: 'REQUEST_TOO_LONG' };
    return { ok: true };
  }
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch {
    return { ok: true };
  }
  if (typeof reply !== 'object' || reply === null) return { ok: true };
  const { ok, error, message } = reply as { ok?: unknown; error?: { code?: unknown }; message?: unknown };
  if (ok === false) return { ok: false, code: typeof error?.code === 'string' && ERROR_CODE.test(error.code) ? error.code : 'ERROR' };
  if (message === 'Invalid message!') return { ok: false, code: 'INVALID_MESSAGE' };
  return { ok: true };
}
