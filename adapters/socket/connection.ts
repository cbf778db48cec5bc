import type { Socket } from 'node:net';
import type { Bus } from '../../src/bus/bus.ts';
import type { Clock, TimerHandle } from '../../src/clock/clock.ts';
import type { IdSource } from '../../src/ids/ids.ts';
import { decodeJsonRequest } from '../../src/protocol/json-request.ts';
import type { ConnectionCloseReason, ReplyReady } from '../../src/protocol/messages.ts';
import { revealed } from '../../src/secret/secret.ts';
import { isBlank, JsonFramer, OPEN_BRACE, type JsonFrame } from './json-framer.ts';
import { TextFramer, type TextFrame } from './text-framer.ts';

/** Node reads a TCP socket 64 KiB at a time; a read that size has more bytes right behind it. */
const READ_BUFFER_BYTES = 64 * 1024;

/** A client that stops reading its replies is cut off before their backlog grows past this. */
const MAX_UNREAD_REPLY_BYTES = 8 * 1024 * 1024;

/** After we end a connection, how long the client has to read the rest and close its side. */
const LINGER_AFTER_END_MS = 5_000;

export interface ConnectionOptions {
  readonly maxRequestBytes: number;
  /** Close a connection that has sent nothing and waits for nothing for this long. */
  readonly idleTimeoutMs: number;
}

/**
 * One client connection: picks its dialect from the first non-blank byte
 * (`{` is JSON, anything else text), cuts its bytes into requests, puts them
 * on the bus, writes the replies that come back for it, and closes when the
 * client is done, says `exit`, or idles. A client that closes its writing
 * side still gets the replies to everything it sent.
 */
export class Connection {
  readonly id: string;
  readonly #socket: Socket;
  readonly #bus: Bus;
  readonly #ids: IdSource;
  readonly #clock: Clock;
  readonly #options: ConnectionOptions;
  /** Null until the first non-blank byte says which dialect this connection speaks. */
  #framer: { dialect: 'text'; framer: TextFramer } | { dialect: 'json'; framer: JsonFramer } | null = null;
  readonly closed: Promise<ConnectionCloseReason>;
  #awaitingReplies = 0;
  #clientDone = false;
  #closeReason: ConnectionCloseReason | null = null;
  #idleTimer: TimerHandle | null = null;

  constructor(id: string, socket: Socket, deps: { bus: Bus; ids: IdSource; clock: Clock; options: ConnectionOptions }) {
    this.id = id;
    this.#socket = socket;
    this.#bus = deps.bus;
    this.#ids = deps.ids;
    this.#clock = deps.clock;
    this.#options = deps.options;

    void this.#bus.emit('connection.opened', {
      connectionId: id,
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
    });

    socket.on('data', (chunk: Buffer) => {
      this.#resetIdleTimer();
      this.#receive(chunk);
    });
    socket.on('end', () => {
      this.#clientDone = true;
      if (this.#framer?.dialect === 'text') this.#publishText(this.#framer.framer.end());
      if (this.#framer?.dialect === 'json') this.#publishJson(this.#framer.framer.end());
      this.#endIfDone();
    });
    // ECONNRESET and friends: the client is gone. 'close' follows and reports it.
    socket.on('error', () => {
      this.#closeReason ??= 'error';
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        this.#clearIdleTimer();
        const reason = this.#closeReason ?? 'client';
        void this.#bus.emit('connection.closed', { connectionId: id, reason });
        resolve(reason);
      });
    });
    this.#resetIdleTimer();
  }

  /** Writes a reply the request flow produced for this connection. */
  deliver(reply: ReplyReady): void {
    this.#awaitingReplies--;
    const writable = !this.#socket.destroyed && this.#socket.writable;
    const text = revealed(reply.text);
    if (writable && text !== '') this.#socket.write(text);
    void this.#bus.emit('reply.sent', { connectionId: this.id, requestId: reply.requestId, delivered: writable });
    if (reply.close) {
      this.#close('exit');
      return;
    }
    if (this.#socket.writableLength > MAX_UNREAD_REPLY_BYTES) {
      this.#closeReason ??= 'error';
      this.#socket.destroy();
      return;
    }
    this.#endIfDone();
    this.#resetIdleTimer();
  }

  /** Ends the connection for a host shutdown: at once if idle, else after its replies or `graceMs`. */
  async shutdown(graceMs: number): Promise<void> {
    this.#closeReason ??= 'shutdown';
    if (this.#awaitingReplies === 0) this.#close('shutdown');
    const timer = this.#clock.setTimeout(() => this.#socket.destroy(), graceMs);
    await this.closed;
    this.#clock.clearTimeout(timer);
  }

  #receive(chunk: Buffer): void {
    if (!this.#framer) {
      const first = chunk.findIndex((byte) => !isBlank(byte));
      // Blank bytes before the first request say nothing in either dialect.
      if (first === -1) return;
      const { maxRequestBytes } = this.#options;
      this.#framer =
        chunk[first] === OPEN_BRACE
          ? { dialect: 'json', framer: new JsonFramer(maxRequestBytes) }
          : { dialect: 'text', framer: new TextFramer(maxRequestBytes) };
    }
    if (this.#framer.dialect === 'text') this.#publishText(this.#framer.framer.push(chunk, chunk.length >= READ_BUFFER_BYTES));
    else this.#publishJson(this.#framer.framer.push(chunk));
  }

  #publishJson(frames: JsonFrame[]): void {
    for (const frame of frames) {
      this.#awaitingReplies++;
      const decoded = 'text' in frame ? decodeJsonRequest(frame.text) : frame;
      void this.#bus.emit('request.received', {
        connectionId: this.id,
        requestId: this.#ids.next('req'),
        dialect: 'json',
        body: 'body' in decoded ? decoded.body : null,
        receivedAt: this.#clock.now(),
        ...('problem' in decoded ? { problem: decoded.problem } : {}),
      });
    }
  }

  #publishText(frames: TextFrame[]): void {
    for (const frame of frames) {
      this.#awaitingReplies++;
      void this.#bus.emit('request.received', {
        connectionId: this.id,
        requestId: this.#ids.next('req'),
        dialect: 'text',
        text: frame.text,
        framing: frame.framing,
        receivedAt: this.#clock.now(),
        ...(frame.problem ? { problem: frame.problem } : {}),
      });
    }
  }

  #endIfDone(): void {
    const shuttingDown = this.#closeReason === 'shutdown';
    if ((this.#clientDone || shuttingDown) && this.#awaitingReplies === 0) this.#close(this.#closeReason ?? 'client');
  }

  #close(reason: ConnectionCloseReason): void {
    this.#closeReason ??= reason;
    this.#clearIdleTimer();
    // end() flushes what is written, then sends FIN; a client that never reads or never closes cannot hold us for long.
    this.#socket.end();
    const linger = this.#clock.setTimeout(() => this.#socket.destroy(), LINGER_AFTER_END_MS);
    void this.closed.then(() => this.#clock.clearTimeout(linger));
  }

  #resetIdleTimer(): void {
    this.#clearIdleTimer();
    this.#idleTimer = this.#clock.setTimeout(() => {
      this.#idleTimer = null;
      // A long backup the client is waiting for is not idleness.
      if (this.#awaitingReplies === 0) this.#close('idle');
      else this.#resetIdleTimer();
    }, this.#options.idleTimeoutMs);
  }

  #clearIdleTimer(): void {
    if (this.#idleTimer !== null) this.#clock.clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }
}
