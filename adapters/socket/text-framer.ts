import type { Framing, TransportProblem } from '../../src/protocol/messages.ts';
import { decodeStrictUtf8 } from './strict-utf8.ts';

export interface TextFrame {
  readonly text: string;
  readonly framing: Framing;
  readonly problem?: TransportProblem;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** The longest bare request taken as complete at the end of a read; far longer than any real command. */
export const MAX_BARE_REQUEST_BYTES = 4 * 1024;

/**
 * Cuts a text-dialect byte stream into requests, as the wire contract says:
 * a line ends at `\n` (a `\r` before it is dropped), and bytes left without a
 * line end are a complete, bare request once the read that brought them ends
 * (the seed client sends `revert` with no line end and waits for the answer).
 *
 * Two exceptions, where the tail waits for a line end, the client's end of
 * sending (`end`), or the connection's word that the client went quiet
 * (`flush`): a read that filled the whole read buffer has more bytes right
 * behind it; and an unterminated request longer than `MAX_BARE_REQUEST_BYTES`
 * is no command, so the read that ends inside it need not be its end.
 *
 * A request longer than `maxRequestBytes` is reported once, as a `too-long`
 * frame, as soon as it crosses the limit, counted across reads; everything up
 * to the next line end is then dropped, and the stream carries on from the
 * line after it.
 */
export class TextFramer {
  readonly #maxRequestBytes: number;
  readonly #maxBareBytes: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Dropping the rest of an over-long request, up to the next line end. */
  #discarding = false;

  constructor(maxRequestBytes: number, maxBareBytes = MAX_BARE_REQUEST_BYTES) {
    this.#maxRequestBytes = maxRequestBytes;
    this.#maxBareBytes = maxBareBytes;
  }

  /** Whether a request has begun and not yet ended (an over-long one being dropped included). */
  get hasPartial(): boolean {
    return this.#pendingBytes > 0 || this.#discarding;
  }

  /** Whether bytes without a line end are waiting to be taken as a bare request (by `flush`, `end` or more bytes). */
  get hasUnterminatedTail(): boolean {
    return this.#pendingBytes > 0;
  }

  /** Frames completed by `chunk`; `moreFollows` is true when the read filled its buffer. */
  push(chunk: Buffer, moreFollows: boolean): TextFrame[] {
    const frames: TextFrame[] = [];
    let start = 0;
    for (let newline = chunk.indexOf(NEWLINE, start); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
      if (!this.#discarding) {
        this.#append(chunk.subarray(start, newline), frames);
        this.#take('line', frames);
      }
      // A line end ends any over-long request, including one that crossed the limit on this very line.
      this.#discarding = false;
      start = newline + 1;
    }
    if (this.#discarding) return frames;
    this.#append(chunk.subarray(start), frames);
    if (!moreFollows && !this.#discarding && this.#pendingBytes <= this.#maxBareBytes) this.#take('bare', frames);
    return frames;
  }

  /** The client went quiet: bytes left without a line end are a bare request after all. */
  flush(): TextFrame[] {
    const frames: TextFrame[] = [];
    if (!this.#discarding) this.#take('bare', frames);
    return frames;
  }

  /** The client closed its side: whatever is left is its last request. */
  end(): TextFrame[] {
    return this.flush();
  }

  #append(bytes: Buffer, frames: TextFrame[]): void {
    if (bytes.length === 0) return;
    if (this.#pendingBytes + bytes.length > this.#maxRequestBytes) {
      this.#discarding = true;
      this.#pending = [];
      this.#pendingBytes = 0;
      // Framed as a line: the reply is a whole line whatever the client sends next.
      frames.push({ text: '', framing: 'line', problem: 'too-long' });
      return;
    }
    // Copied: the socket may reuse the chunk's memory for its next read.
    this.#pending.push(Buffer.from(bytes));
    this.#pendingBytes += bytes.length;
  }

  #take(framing: Framing, frames: TextFrame[]): void {
    if (this.#pendingBytes === 0) return;
    const joined = this.#pending.length === 1 ? (this.#pending[0] as Buffer) : Buffer.concat(this.#pending);
    // A line's `\r` before its `\n` may have come in the read before the `\n`: dropped here, where the line is whole.
    const bytes = framing === 'line' && joined.at(-1) === CARRIAGE_RETURN ? joined.subarray(0, -1) : joined;
    this.#pending = [];
    this.#pendingBytes = 0;
    let text: string;
    try {
      text = decodeStrictUtf8(bytes);
    } catch {
      frames.push({ text: '', framing, problem: 'invalid-utf8' });
      return;
    }
    // Blank lines are not requests: clients may pad with them.
    if (text.trim() !== '') frames.push({ text, framing });
  }
}
