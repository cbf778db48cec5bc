import type { ErrorShape } from '../errors/safekeep-error.ts';
import type { ReplyText } from './reply-chunks.ts';
import type { Command, CommandResult } from './commands.ts';
import type { RequestType } from './request-type.ts';

/**
 * What the socket adapter and the request flow say to each other on the bus.
 * Plain data only (secrets travel as `Secret`, which never prints its value):
 * these are recorded and replayed.
 */

/** Which wire dialect a connection speaks: its first non-blank byte decides, `{` for JSON. */
export type Dialect = 'text' | 'json';

/**
 * How a request was delimited on the wire: `line` ended with `\n` (or `\r\n`);
 * `bare` was whatever arrived without a line end at the end of one read.
 */
export type Framing = 'line' | 'bare';

/**
 * A request the transport could not decode; the request flow replies with an
 * error. `invalid-json`, `not-an-object` and `too-deep` come from the JSON
 * dialect only. The last two are about the connection rather than the bytes:
 * `too-slow` stands for a request that did not arrive whole within the
 * request deadline, `too-many-connections` for the first request of a
 * connection that could not be admitted; each is the connection's last.
 */
export type TransportProblem = 'invalid-utf8' | 'too-long' | 'invalid-json' | 'not-an-object' | 'too-deep' | 'too-slow' | 'too-many-connections';

export interface ConnectionOpened {
  readonly connectionId: string;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

/**
 * Why a connection ended: the client closed it, said `exit`, was idle, failed;
 * the host stopped; or the socket's limits ended it (`evicted` to admit a new
 * client at the connection cap, `too-slow` past the request deadline,
 * `refused` at the cap with every connection busy, `unread-replies` past the
 * unread-reply bound).
 */
export type ConnectionCloseReason = 'client' | 'exit' | 'idle' | 'error' | 'shutdown' | 'evicted' | 'too-slow' | 'refused' | 'unread-replies';

export interface ConnectionClosed {
  readonly connectionId: string;
  readonly reason: ConnectionCloseReason;
}

interface RequestBase {
  readonly connectionId: string;
  readonly requestId: string;
  readonly problem?: TransportProblem;
  /** When the transport handed the whole request on, on the host's clock; time limits count from here. */
  readonly receivedAt: number;
}

/** One line (or bare word) of the text dialect. */
export interface TextRequestReceived extends RequestBase {
  readonly dialect: 'text';
  /** The request as sent, without its line end, decoded as UTF-8. */
  readonly text: string;
  readonly framing: Framing;
}

/** One object of the JSON dialect, parsed, with every secret-named field's string already a `Secret`. */
export interface JsonRequestReceived extends RequestBase {
  readonly dialect: 'json';
  /** Null when `problem` says why there is no object. */
  readonly body: Readonly<Record<string, unknown>> | null;
}

export type RequestReceived = TextRequestReceived | JsonRequestReceived;

/**
 * The complete requests one read of a connection brought (as many as the
 * connection lets onto the bus at once), in the order they came. They travel
 * as one event, and the request flow takes them in one step: a client that
 * pipelines costs an event per read, not per request.
 */
export interface RequestsReceived {
  readonly connectionId: string;
  readonly requests: readonly RequestReceived[];
}

export interface ReplyReady {
  readonly connectionId: string;
  readonly requestId: string;
  /** Exactly the text to write, line end included when the dialect wants one; a Secret when it holds one; chunks, written as the client reads, when it is large. */
  readonly text: ReplyText;
  /** End the connection once this reply is written. */
  readonly close: boolean;
  /** A reply to a password-book seed message: also delivered over the `--reply-to` channel when there is one. */
  readonly seedReply?: true;
  /** What the reply answers, for metrics; set by the request flow (a reply emitted by other code may lack it). */
  readonly outcome?: ReplyOutcome;
}

/**
 * What a reply answers, in bounded words (never a client's text): so request
 * metrics need no event of their own nor a table of requests in flight.
 */
export interface ReplyOutcome {
  readonly dialect: Dialect;
  readonly type: RequestType;
  /** Null when the request succeeded, else its error's code. */
  readonly code: string | null;
  /** The request's `receivedAt`: the reply's time less this is how long the request took. */
  readonly receivedAt: number;
}

export interface ReplySent {
  readonly connectionId: string;
  readonly requestId: string;
  /** False when the client had gone and the reply could not be written. */
  readonly delivered: boolean;
}

/** A seed reply delivered over the `--reply-to` channel (a new connection to the client's listener). */
export interface ReplyForwarded {
  readonly requestId: string;
  readonly target: string;
  readonly attempts: number;
}

/** A seed reply the `--reply-to` channel gave up on; the reply on the request's own connection is unaffected. */
export interface ReplyForwardFailed {
  readonly requestId: string;
  readonly target: string;
  readonly attempts: number;
  readonly reason: string;
}

/** A request from inside the process (`host.request`), the in-process twin of a request in `requests.received`. */
export interface RequestSubmitted {
  readonly requestId: string;
  readonly command: Command;
  /** Who asked, for the password book's per-client throttle. */
  readonly clientAddress: string;
}

/** The answer to a `request.submitted`: its result, or the error as plain data. */
export type RequestSettled =
  | { readonly requestId: string; readonly ok: true; readonly result: CommandResult }
  | { readonly requestId: string; readonly ok: false; readonly error: ErrorShape };

/** A socket request that failed with an error carrying log-only words (`detail`: an unexpected error's message, a path), for the log. */
export interface RequestFailed {
  readonly requestId: string;
  readonly connectionId: string;
  readonly error: ErrorShape;
}
