import type { BusEvent } from '../../src/bus/events.ts';
import type { Clock } from '../../src/clock/clock.ts';
import type { Dialect, ReplyReady, RequestReceived } from '../../src/protocol/messages.ts';
import { requestTypeOf } from '../../src/protocol/request-type.ts';
import type { LogRecord } from './log-records.ts';

/** Requests awaiting their line, at most this many (a reply that is never sent must not grow the map forever). */
const MAX_OPEN_REQUESTS = 10_000;

/** What most events make: no record, and no array made for it. */
const NONE: readonly LogRecord[] = Object.freeze([]);

interface OpenRequest {
  readonly connectionId?: string;
  readonly dialect: Dialect | 'in-process';
  /** A RequestType (`backup.run`, `entry.get`, `invalid`): never the client's words. */
  readonly type: string;
  readonly receivedAt: number;
  /** A reply to one of the seed's messages (`save_password`…), whose type is the typed message it stands for. */
  readonly seed?: true;
  /** `ok`, or the error code; set when the reply or the settlement says. */
  outcome?: { readonly ok: true } | { readonly ok: false; readonly code: string };
}

/**
 * One line per request: what kind it was, how it ended and how long it took,
 * never its body or its reply (either may hold a password or a token). A
 * request's type is its RequestType (src/protocol/request-type.ts, the one
 * the metrics count by), so a client's own text never reaches the log.
 *
 * @example
 * const lines = new RequestLines(systemClock, { track: true, trace: false });
 * bus.events$.subscribe((event) => lines.records(event).forEach(write));
 */
export class RequestLines {
  readonly #clock: Clock;
  readonly #open = new Map<string, OpenRequest>();
  readonly #track: boolean;
  readonly #traced: boolean;

  /**
   * `track: false` (the log is above `debug`, where no request line would be
   * written) keeps no request and reads no reply: the request path pays
   * nothing for lines nobody sees. Only a failure with log-only words is told.
   * `trace: false` makes no arrival line (trace) for a log that would drop it.
   */
  constructor(clock: Clock, { track = true, trace = true }: { readonly track?: boolean; readonly trace?: boolean } = {}) {
    this.#clock = clock;
    this.#track = track;
    this.#traced = track && trace;
  }

  /** The records an event makes (none for most; one per request for a read that brought several). */
  records(event: BusEvent): readonly LogRecord[] {
    if (!this.#track && event.name !== 'request.settled') return NONE;
    switch (event.name) {
      case 'requests.received':
        return this.#traced ? event.payload.requests.map((request) => received(request)) : NONE;
      case 'reply.ready':
        this.#replied(event.payload);
        return NONE;
      case 'reply.sent':
        return this.#answered(event.payload.requestId, event.payload.delivered);
      case 'connection.closed':
        // Replies the connection took with it are never sent.
        for (const [requestId, open] of this.#open) if (open.connectionId === event.payload.connectionId) this.#open.delete(requestId);
        return NONE;
      case 'request.submitted':
        // An embedder's adapter may submit any value: requestTypeOf names what is not a command `invalid`, never throws.
        this.#remember(event.payload.requestId, { dialect: 'in-process', type: requestTypeOf(event.payload.command), receivedAt: this.#clock.now() });
        return NONE;
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
        return line ? [line] : NONE;
      }
      default:
        return NONE;
    }
  }

  /**
   * The request flow says on each reply what it answered (`outcome`): the
   * line needs nothing from the request nor the reply's text. A reply put on
   * the bus without one (by other code) has no line.
   */
  #replied(reply: ReplyReady): void {
    const { outcome } = reply;
    if (!outcome) return;
    this.#remember(reply.requestId, {
      connectionId: reply.connectionId,
      dialect: outcome.dialect,
      type: outcome.type,
      receivedAt: outcome.receivedAt,
      ...(reply.seedReply ? { seed: true } : {}),
      outcome: outcome.code === null ? { ok: true } : { ok: false, code: outcome.code },
    });
  }

  #remember(requestId: string, open: OpenRequest): void {
    this.#open.set(requestId, open);
    if (this.#open.size > MAX_OPEN_REQUESTS) this.#open.delete(this.#open.keys().next().value as string);
  }

  #answered(requestId: string, delivered: boolean): readonly LogRecord[] {
    const open = this.#open.get(requestId);
    if (!open) return NONE;
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
          ...(open.seed ? { seed: true } : {}),
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

/** A request as it arrives (trace): its ids, dialect and transport problem; what it asks is told by its answer's line. */
function received(request: RequestReceived): LogRecord {
  return {
    level: 'trace',
    msg: `request ${request.requestId}${on(request.requestId, request.connectionId)}: received${request.problem ? ` (${request.problem})` : ''}`,
    fields: {
      event: 'requests.received',
      requestId: request.requestId,
      connectionId: request.connectionId,
      dialect: request.dialect,
      ...(request.problem ? { problem: request.problem } : {}),
    },
  };
}
