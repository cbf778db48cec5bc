/**
 * What the socket adapter and the request flow say to each other on the bus.
 * Plain data only: these are recorded and replayed.
 */

/** Which wire dialect a connection speaks. The JSON dialect of the password book joins it later. */
export type Dialect = 'text';

/**
 * How a request was delimited on the wire: `line` ended with `\n` (or `\r\n`);
 * `bare` was whatever arrived without a line end at the end of one read.
 */
export type Framing = 'line' | 'bare';

/** A request the transport could not turn into text; the request flow replies with an error. */
export type TransportProblem = 'invalid-utf8' | 'too-long';

export interface ConnectionOpened {
  readonly connectionId: string;
  readonly dialect: Dialect;
  readonly remoteAddress: string;
  readonly remotePort: number;
}

export type ConnectionCloseReason = 'client' | 'exit' | 'idle' | 'error' | 'shutdown';

export interface ConnectionClosed {
  readonly connectionId: string;
  readonly reason: ConnectionCloseReason;
}

export interface RequestReceived {
  readonly connectionId: string;
  readonly requestId: string;
  readonly dialect: Dialect;
  /** The request as sent, without its line end, decoded as UTF-8. */
  readonly text: string;
  readonly framing: Framing;
  readonly problem?: TransportProblem;
  /** When the transport had the whole request, on the host's clock; time limits count from here. */
  readonly receivedAt: number;
}

export interface ReplyReady {
  readonly connectionId: string;
  readonly requestId: string;
  /** Exactly the bytes to write, line end included when the dialect wants one. */
  readonly text: string;
  /** End the connection once this reply is written. */
  readonly close: boolean;
}

export interface ReplySent {
  readonly connectionId: string;
  readonly requestId: string;
  /** False when the client had gone and the reply could not be written. */
  readonly delivered: boolean;
}
