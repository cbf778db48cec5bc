import type { Socket } from 'node:net';
import type { Bus } from '../../src/bus/bus.ts';
import type { Clock } from '../../src/clock/clock.ts';
import { decodeJsonRequest } from '../../src/protocol/json-request.ts';
import type { ConnectionCloseReason, Dialect, ReplyReady, RequestReceived, TransportProblem } from '../../src/protocol/messages.ts';
import { ReplyChunks } from '../../src/protocol/reply-chunks.ts';
import { revealed } from '../../src/secret/secret.ts';
import { ClockTimer } from './clock-timer.ts';
import type { EvictionRank } from './eviction.ts';
import { isBlank, JsonFramer, OPEN_BRACE, type JsonFrame } from './json-framer.ts';
import { RequestQueue } from './request-queue.ts';
import { TextFramer, type TextFrame } from './text-framer.ts';

/** Node reads a TCP socket 64 KiB at a time; a read that size has more bytes right behind it. */
const READ_BUFFER_BYTES = 64 * 1024;

/** How much of a read is framed at a time (see `#frameMore`): a few hundred requests at most. */
const FRAME_SLICE_BYTES = 4 * 1024;

/** After we end a connection, how long the client has to read the rest and close its side. */
const LINGER_AFTER_END_MS = 5_000;

/** A long unterminated text request is taken as a bare one once the client has sent nothing more for this long. */
export const QUIET_TAIL_MS = 1_000;

/** A connection refused at the cap waits this long for its first byte, to be answered in its dialect, then is answered in text. */
export const REFUSAL_WAIT_MS = 1_000;

/**
 * The turn's replies are gathered into one write up to this many characters;
 * past it they go out as they come. Small replies (a path, a count, an error)
 * gain most from sharing a write, and how much of a large corked write the
 * client has not read would only show once the write completes.
 */
const CORKED_CHARS = 16 * 1024;

/** Above this share of the unread-reply bound, a connection's requests wait until the client reads. */
const REPLY_HIGH_WATER_SHARE = 1 / 8;

export interface ConnectionOptions {
  readonly maxRequestBytes: number;
  /** Deepest nesting of objects and arrays in a JSON request, the request object itself being level 1. */
  readonly maxNestingDepth: number;
  /** Close a connection this long after its last complete request or reply, unless it waits for an answer. */
  readonly idleTimeoutMs: number;
  /** How long a request may take to arrive whole after its first byte; then REQUEST_TOO_SLOW and the connection closes. */
  readonly requestDeadlineMs: number;
  /** Requests one connection may have on the bus unanswered; more wait in the connection, which stops reading meanwhile. */
  readonly maxUnansweredRequests: number;
  /** Replies a client has not read: above an eighth of this its requests wait; past it the connection is cut off. */
  readonly maxUnreadReplyBytes: number;
}

/** A reply made ready but not yet wholly written; a streamed one keeps its place in its chunks. */
interface Outgoing {
  readonly reply: ReplyReady;
  chunks: Iterator<string> | null;
}

/** A framed request waiting for its turn on the bus. */
type Pending = { readonly dialect: 'text'; readonly frame: TextFrame } | { readonly dialect: 'json'; readonly frame: JsonFrame };

const problemRequest = (dialect: Dialect, problem: TransportProblem): Pending =>
  dialect === 'text' ? { dialect, frame: { text: '', framing: 'line', problem } } : { dialect, frame: { problem } };

/**
 * One client connection: picks its dialect from the first non-blank byte
 * (`{` is JSON, anything else text), cuts its bytes into requests, puts them
 * on the bus (at most `maxUnansweredRequests` at a time: the rest wait in its
 * queue, and it reads no more until they are taken), writes the replies that
 * come back for it, and closes when the client is done, says `exit`, idles,
 * or breaks a limit. A client that closes its writing side still gets the
 * replies to everything it sent.
 */
export class Connection {
  readonly id: string;
  /** False for a connection over the cap that could not take anyone's place: its one reply is TOO_MANY_CONNECTIONS. */
  readonly admitted: boolean;
  readonly closed: Promise<ConnectionCloseReason>;
  readonly #socket: Socket;
  readonly #bus: Bus;
  readonly #clock: Clock;
  readonly #options: ConnectionOptions;
  /** Null until the first non-blank byte says which dialect this connection speaks. */
  #framer: { dialect: 'text'; framer: TextFramer } | { dialect: 'json'; framer: JsonFramer } | null = null;
  readonly #queue: RequestQueue<Pending>;
  /** Bytes read but not yet framed, a slice at a time (see FRAME_SLICE_BYTES), each with the framer's "more follows" flag. */
  #unframed: { readonly bytes: Buffer; readonly moreFollows: boolean }[] = [];
  /** Taking requests: false once the client ended its side, or the connection is refused, too slow, ended or shut down. */
  #reading = true;
  /** How the connection will have ended once its queue is empty, when nothing else ended it first. */
  #endReason: ConnectionCloseReason = 'client';
  /** We have ended our side (socket.end()) and are lingering. */
  #ended = false;
  #paused = false;
  #pumpScheduled = false;
  /**
   * The client has more unread reply bytes than the high-water mark, or a
   * streamed reply waits for it to read: none of its requests go on the bus
   * until it reads.
   */
  #repliesUnread = false;
  /**
   * Replies not yet wholly written, in request order. Whole replies go
   * straight out, but a streamed one is written a chunk at a time, each when
   * the socket has taken the last (`'drain'`), and the replies after it wait
   * here behind it.
   */
  readonly #outbox: Outgoing[] = [];
  /** We have decided to end our side, but a streamed reply is still being written: end once it is. */
  #endWhenWritten = false;
  #closeReason: ConnectionCloseReason | null = null;
  /** Requests put on the bus so far: the number in each one's id. */
  #requestCount = 0;
  /** Replies are being gathered for one write, at the end of this turn (see `deliver`), and how much of them. */
  #corked = false;
  #corkedChars = 0;
  /** The last complete request or reply, on the clock: idleness counts from here, not from the last byte. */
  #lastActivity: number;
  /** When the request being received began (its first read), or null when none is partly received. */
  #partialSince: number | null = null;
  readonly #idleTimer: ClockTimer;
  readonly #deadlineTimer: ClockTimer;
  readonly #quietTimer: ClockTimer;
  readonly #lingerTimer: ClockTimer;
  readonly #refusalTimer: ClockTimer;

  constructor(id: string, socket: Socket, deps: { bus: Bus; clock: Clock; options: ConnectionOptions; admitted?: boolean }) {
    this.id = id;
    this.admitted = deps.admitted ?? true;
    this.#socket = socket;
    this.#bus = deps.bus;
    this.#clock = deps.clock;
    this.#options = deps.options;
    this.#queue = new RequestQueue(deps.options.maxUnansweredRequests);
    this.#lastActivity = deps.clock.now();
    this.#idleTimer = new ClockTimer(deps.clock, () => this.#idleTimeUp());
    this.#deadlineTimer = new ClockTimer(deps.clock, () => this.#deadlineUp());
    this.#quietTimer = new ClockTimer(deps.clock, () => {
      this.#accept(this.#framer?.dialect === 'text' ? this.#framer.framer.flush() : []);
      this.#pump();
    });
    this.#lingerTimer = new ClockTimer(deps.clock, () => this.#lingerUp());
    this.#refusalTimer = new ClockTimer(deps.clock, () => this.#refuse('text'));

    void this.#bus.emit('connection.opened', {
      connectionId: id,
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
    });

    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('end', () => this.#clientEnded());
    socket.on('drain', () => this.#drained());
    // ECONNRESET and friends: the client is gone. 'close' follows and reports it.
    socket.on('error', () => {
      this.#closeReason ??= 'error';
    });
    this.closed = new Promise((resolve) => {
      socket.on('close', () => {
        for (const timer of [this.#idleTimer, this.#deadlineTimer, this.#quietTimer, this.#lingerTimer, this.#refusalTimer]) timer.stop();
        // The client went before a streamed reply (and any behind it) was written out.
        for (const { reply } of this.#outbox.splice(0)) void this.#bus.emit('reply.sent', { connectionId: id, requestId: reply.requestId, delivered: false });
        const reason = this.#closeReason ?? this.#endReason;
        void this.#bus.emit('connection.closed', { connectionId: id, reason });
        resolve(reason);
      });
    });
    if (this.admitted) this.#idleTimer.start(deps.options.idleTimeoutMs);
    else this.#refusalTimer.start(REFUSAL_WAIT_MS);
  }

  /**
   * Writes a reply the request flow produced for this connection, after any
   * streamed reply still being written. The replies of one turn of the event
   * loop (a pipelined read's, answered one after another in promise
   * callbacks) leave in one write: the socket is corked at the first that
   * has others still owed behind it, and uncorked once the turn's callbacks
   * have run.
   */
  deliver(reply: ReplyReady): void {
    this.#queue.answered();
    // The last reply owed goes out as it is: corking is for replies that have more behind them in this turn.
    if (!this.#corked && this.#queue.unanswered > 0 && !this.#socket.destroyed) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(() => this.#uncork());
    }
    this.#outbox.push({ reply, chunks: null });
    if (this.#outbox.length === 1) this.#writeOutbox();
  }

  /**
   * Writes out what the outbox holds, in order, until a streamed reply's
   * chunk is more than the socket will buffer: then it waits for `'drain'`,
   * with the connection held as for unread replies, so a client that does not
   * read costs a chunk of memory, not the whole reply.
   */
  #writeOutbox(): void {
    while (this.#outbox.length > 0) {
      const outgoing = this.#outbox[0] as Outgoing;
      const { reply } = outgoing;
      // Uncorking first: it sees to the unread-reply bound, which may cut the client off.
      if (this.#corked && (reply.text instanceof ReplyChunks || this.#corkedChars + reply.text.length > CORKED_CHARS)) this.#uncork();
      const writable = !this.#socket.destroyed && this.#socket.writable;
      if (writable && reply.text instanceof ReplyChunks) {
        outgoing.chunks ??= reply.text[Symbol.iterator]();
        if (!this.#writeChunks(outgoing.chunks)) {
          this.#repliesUnread = true;
          return;
        }
      } else if (writable && !(reply.text instanceof ReplyChunks)) {
        const text = revealed(reply.text);
        if (text !== '') this.#socket.write(text);
        if (this.#corked) this.#corkedChars += text.length;
      }
      this.#outbox.shift();
      this.#written(reply, writable);
    }
    if (this.#endWhenWritten) this.#endNow();
  }

  /** Sends what the turn's replies corked, then sees to the limits. */
  #uncork(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.#corkedChars = 0;
    this.#socket.uncork();
    if (!this.#socket.destroyed) this.#checkUnread();
  }

  /** Writes chunks until there are none left (true) or the socket asks us to wait for `'drain'` (false). */
  #writeChunks(chunks: Iterator<string>): boolean {
    for (let next = chunks.next(); !next.done; next = chunks.next()) {
      if (!this.#socket.write(next.value)) return false;
    }
    return true;
  }

  /** A reply is out (or could not be): tell the bus, then see to the connection's limits and its queue. */
  #written(reply: ReplyReady, writable: boolean): void {
    void this.#bus.emit('reply.sent', { connectionId: this.id, requestId: reply.requestId, delivered: writable });
    if (reply.close) {
      this.#close('exit');
      return;
    }
    this.#lastActivity = this.#clock.now();
    if (!this.#corked) this.#checkUnread();
  }

  /**
   * Once what was written has gone to the socket (after the uncork, when the
   * turn's replies were corked), what the client has not read is what the
   * socket still holds: past the bound the connection is cut off, above the
   * high-water mark its requests wait.
   */
  #checkUnread(): void {
    const unread = this.#socket.writableLength;
    if (unread > this.#options.maxUnreadReplyBytes) {
      this.#closeReason ??= 'unread-replies';
      this.#socket.destroy();
      return;
    }
    if (unread > this.#options.maxUnreadReplyBytes * REPLY_HIGH_WATER_SHARE) this.#repliesUnread = true;
    // With nothing held back (one request at a time, the common case) there is nothing to move on.
    if (this.#queue.waiting > 0 || this.#unframed.length > 0 || this.#paused || this.#repliesUnread || !this.#reading) this.#pumpSoon();
  }

  /** How readily this connection gives its place to a new client (see `pickEvictee`). */
  evictionRank(): EvictionRank {
    if (this.#ended) return { state: 'closing', since: 0 };
    if (this.#queue.unanswered > 0) return { state: 'busy', since: 0 };
    if (this.#partialSince !== null) return { state: 'partial', since: this.#partialSince };
    return { state: 'idle', since: this.#lastActivity };
  }

  /** Closes the connection at once to make room for a new client; nothing it asked for is unanswered. */
  evict(): void {
    this.#closeReason ??= 'evicted';
    this.#socket.destroy();
  }

  /** Ends the connection for a host shutdown: takes no new request, and is gone once its replies are out or `graceMs` is up. */
  async shutdown(graceMs: number): Promise<void> {
    this.#closeReason ??= 'shutdown';
    const hardStop = new ClockTimer(this.#clock, () => this.#socket.destroy());
    hardStop.start(graceMs);
    this.#queue.dropWaiting();
    this.#stopReading('shutdown');
    await this.closed;
    hardStop.stop();
  }

  #receive(chunk: Buffer): void {
    // Input is over (the connection is ending): what still arrives is dropped, so the client's FIN can be seen.
    if (!this.#reading) return;
    if (!this.#framer) {
      const first = chunk.findIndex((byte) => !isBlank(byte));
      // Blank bytes before the first request say nothing in either dialect.
      if (first === -1) return;
      const dialect = chunk[first] === OPEN_BRACE ? 'json' : 'text';
      if (!this.admitted) {
        this.#refuse(dialect);
        return;
      }
      const { maxRequestBytes, maxNestingDepth } = this.#options;
      this.#framer =
        dialect === 'json'
          ? { dialect, framer: new JsonFramer(maxRequestBytes, maxNestingDepth) }
          : { dialect, framer: new TextFramer(maxRequestBytes) };
    }
    const moreFollows = chunk.length >= READ_BUFFER_BYTES;
    for (let at = 0; at < chunk.length; at += FRAME_SLICE_BYTES) {
      const end = Math.min(chunk.length, at + FRAME_SLICE_BYTES);
      // Only the read's last slice may end a bare request: a slice boundary is not the end of a read.
      this.#unframed.push({ bytes: chunk.subarray(at, end), moreFollows: end < chunk.length || moreFollows });
    }
    this.#pump();
  }

  /**
   * Frames read bytes a slice at a time while fewer requests wait than the
   * bound: a 64 KiB read of tiny requests is thousands of them, and cutting
   * them all at once (twenty flooding connections at a time) would keep every
   * other client waiting for that long. Until every slice is framed the
   * connection reads no more.
   */
  #frameMore(): void {
    while (this.#unframed.length > 0 && this.#queue.waiting < this.#queue.maxUnanswered) this.#frameSlice();
  }

  #frameSlice(): void {
    const { bytes, moreFollows } = this.#unframed.shift() as { bytes: Buffer; moreFollows: boolean };
    const framer = this.#framer;
    if (!framer) return;
    this.#accept(framer.dialect === 'text' ? framer.framer.push(bytes, moreFollows) : framer.framer.push(bytes));
  }

  /** Queues what the framer cut out and keeps the partial request's timers right; the caller moves the queue on. */
  #accept(frames: readonly (TextFrame | JsonFrame)[]): void {
    const dialect = this.#framer?.dialect;
    if (frames.length > 0 && dialect) {
      this.#queue.add(frames.map((frame) => ({ dialect, frame }) as Pending));
      this.#lastActivity = this.#clock.now();
    }
    this.#trackPartial(frames.length > 0);
  }

  /**
   * A request partly received has `requestDeadlineMs` to arrive whole, from
   * the read that began it; the clock stops while the connection is not
   * reading (its queue is full), since then the rest cannot arrive.
   */
  #trackPartial(newRequest: boolean): void {
    const framer = this.#framer;
    if (!this.#reading || !framer?.framer.hasPartial) {
      this.#partialSince = null;
      this.#deadlineTimer.stop();
      this.#quietTimer.stop();
      return;
    }
    if (this.#partialSince === null || newRequest) this.#partialSince = this.#clock.now();
    if (this.#paused) return;
    if (!this.#deadlineTimer.running) this.#deadlineTimer.start(this.#options.requestDeadlineMs);
    if (framer.dialect === 'text' && framer.framer.hasUnterminatedTail) this.#quietTimer.start(QUIET_TAIL_MS);
    else this.#quietTimer.stop();
  }

  #deadlineUp(): void {
    if (this.#partialSince === null || !this.#reading) return;
    const left = this.#partialSince + this.#options.requestDeadlineMs - this.#clock.now();
    if (left > 0) this.#deadlineTimer.start(left);
    else this.#stopReading('too-slow', problemRequest(this.#framer?.dialect ?? 'text', 'too-slow'));
  }

  /**
   * Moves the queue on after the event loop's next turn of I/O. A reply and
   * the request it lets onto the bus are all promise callbacks: pumped at once,
   * a flood's whole backlog would run through without a pause, and no other
   * client's bytes would even be read meanwhile. Deferred, each connection
   * moves on by at most its bound per turn, and every socket is read between.
   */
  #pumpSoon(): void {
    if (this.#pumpScheduled) return;
    this.#pumpScheduled = true;
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /** The one place requests go on the bus: as many as the bound allows, then reading follows whether any wait. */
  #pump(): void {
    if (!this.#repliesUnread) {
      this.#frameMore();
      const batch: Pending[] = [];
      for (let next = this.#queue.next(); next; next = this.#queue.next()) batch.push(next);
      if (batch.length > 0) this.#publish(batch);
    }
    const hold = this.#reading && (this.#queue.waiting > 0 || this.#unframed.length > 0 || this.#repliesUnread);
    if (hold && !this.#paused) {
      this.#socket.pause();
      this.#paused = true;
      this.#deadlineTimer.stop();
      this.#quietTimer.stop();
    } else if (!hold && this.#paused) {
      this.#socket.resume();
      this.#paused = false;
      this.#trackPartial(true);
    }
    if (!this.#reading && this.#queue.isEmpty) this.#close(this.#endReason);
  }

  /**
   * Puts requests on the bus as one event: the requests one read brought
   * travel and are planned together. Their ids are the connection's own,
   * numbered: unique in the process without drawing one per request.
   */
  #publish(batch: readonly Pending[]): void {
    const receivedAt = this.#clock.now();
    const requests = batch.map((pending): RequestReceived => {
      const requestId = `${this.id}/${++this.#requestCount}`;
      if (pending.dialect === 'text') {
        const { frame } = pending;
        return { connectionId: this.id, requestId, dialect: 'text', text: frame.text, framing: frame.framing, receivedAt, ...(frame.problem ? { problem: frame.problem } : {}) };
      }
      const decoded = 'text' in pending.frame ? decodeJsonRequest(pending.frame.text) : pending.frame;
      return {
        connectionId: this.id,
        requestId,
        dialect: 'json',
        body: 'body' in decoded ? decoded.body : null,
        receivedAt,
        ...('problem' in decoded ? { problem: decoded.problem } : {}),
      };
    });
    void this.#bus.emit('requests.received', { connectionId: this.id, requests });
  }

  #clientEnded(): void {
    if (!this.#reading) return;
    // The socket is paused while bytes wait to be framed, so its end comes after them; frame any left all the same.
    while (this.#unframed.length > 0) this.#frameSlice();
    const framer = this.#framer;
    if (framer) this.#queue.add(framer.dialect === 'text' ? framer.framer.end().map((frame) => ({ dialect: 'text', frame })) : framer.framer.end().map((frame) => ({ dialect: 'json', frame })));
    this.#stopReading('client');
  }

  /** Over the cap with every connection busy: one reply, TOO_MANY_CONNECTIONS in the client's dialect, then close. */
  #refuse(dialect: Dialect): void {
    this.#stopReading('refused', problemRequest(dialect, 'too-many-connections'));
  }

  /** Takes no more requests (a last one, such as an error about the input, may be added); the connection ends once its queue is empty. */
  #stopReading(reason: ConnectionCloseReason, last?: Pending): void {
    if (this.#reading) {
      this.#reading = false;
      this.#endReason = reason;
      if (last) this.#queue.add([last]);
      this.#framer = null;
      this.#unframed = [];
      this.#partialSince = null;
      for (const timer of [this.#deadlineTimer, this.#quietTimer, this.#refusalTimer]) timer.stop();
    }
    this.#pump();
  }

  #drained(): void {
    if (this.#outbox.length > 0) {
      // A client reading a long reply is not idle, nor lingering.
      this.#lastActivity = this.#clock.now();
      this.#writeOutbox();
      if (this.#outbox.length > 0) return;
    }
    // Replies that waited behind a streamed one may have refilled the buffers.
    if (!this.#repliesUnread || this.#socket.writableLength > this.#options.maxUnreadReplyBytes * REPLY_HIGH_WATER_SHARE) return;
    this.#repliesUnread = false;
    this.#pump();
  }

  #idleTimeUp(): void {
    const left = this.#lastActivity + this.#options.idleTimeoutMs - this.#clock.now();
    // A long backup the client is waiting for is not idleness.
    if (left > 0 || this.#queue.unanswered > 0) this.#idleTimer.start(left > 0 ? left : this.#options.idleTimeoutMs);
    else this.#close('idle');
  }

  #close(reason: ConnectionCloseReason): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#closeReason ??= reason;
    this.#reading = false;
    for (const timer of [this.#idleTimer, this.#deadlineTimer, this.#quietTimer, this.#refusalTimer]) timer.stop();
    // Keep reading (and dropping) so the client's FIN is seen and the socket closes as soon as it can.
    if (this.#paused) this.#socket.resume();
    this.#paused = false;
    this.#lingerTimer.start(LINGER_AFTER_END_MS);
    if (this.#outbox.length > 0) this.#endWhenWritten = true;
    else this.#endNow();
  }

  /** end() flushes what is written, then sends FIN; a client that never reads or never closes cannot hold us for long (the linger). */
  #endNow(): void {
    this.#endWhenWritten = false;
    this.#socket.end();
  }

  /** Past the linger: gone, unless the client is still reading a streamed reply, which gets the linger again from its last read. */
  #lingerUp(): void {
    const left = this.#lastActivity + LINGER_AFTER_END_MS - this.#clock.now();
    if (this.#outbox.length > 0 && left > 0) this.#lingerTimer.start(left);
    else this.#socket.destroy();
  }
}
