import type { TransportProblem } from '../../src/protocol/messages.ts';
import { decodeStrictUtf8 } from './strict-utf8.ts';

export type JsonFrame = { readonly text: string } | { readonly problem: TransportProblem };

export const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** JSON's whitespace, which both dialects skip before a connection's first request. */
export const isBlank = (byte: number) => byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d;

/**
 * Cuts a JSON-dialect byte stream into objects. Objects may follow each other
 * with or without blanks between them, and may arrive in any number of pieces,
 * a multibyte character split included: the framer counts braces and brackets
 * outside strings on raw bytes (every byte that matters is ASCII, and UTF-8
 * never reuses ASCII values inside a multibyte character) and decodes an
 * object only once it is whole.
 *
 * Resynchronising after bad input: an over-long object is reported once
 * (`too-long`) and skipped to its closing brace, and so is an object that
 * nests objects and arrays deeper than `maxDepth` (`too-deep`, the object
 * itself being the first level), reported the moment it crosses the limit;
 * bytes outside any object are reported (`invalid-json`) once per read that
 * brings them, and skipped to the next `{`. Whether an object's text is valid
 * JSON is for the parser, which then never sees more than `maxDepth` levels.
 */
export class JsonFramer {
  readonly #maxRequestBytes: number;
  readonly #maxDepth: number;
  #parts: Buffer[] = [];
  #bytes = 0;
  #depth = 0;
  #inString = false;
  #escaped = false;
  /** Inside an over-long or over-deep object, already reported: track its nesting, keep nothing. */
  #discarding = false;

  constructor(maxRequestBytes: number, maxDepth: number) {
    this.#maxRequestBytes = maxRequestBytes;
    this.#maxDepth = maxDepth;
  }

  /** Whether an object has begun and not yet ended. */
  get hasPartial(): boolean {
    return this.#depth > 0;
  }

  push(chunk: Buffer): JsonFrame[] {
    const frames: JsonFrame[] = [];
    let objectStart = this.#depth > 0 ? 0 : -1;
    let strayBytes = false;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i] as number;
      if (this.#depth === 0) {
        if (byte === OPEN_BRACE) {
          // Stray bytes before this object get their error reply first, in stream order.
          if (strayBytes) frames.push({ problem: 'invalid-json' });
          strayBytes = false;
          this.#depth = 1;
          objectStart = i;
        } else if (!isBlank(byte)) {
          strayBytes = true;
        }
        continue;
      }
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (byte === BACKSLASH) this.#escaped = true;
        else if (byte === QUOTE) this.#inString = false;
        continue;
      }
      if (byte === QUOTE) this.#inString = true;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        this.#depth++;
        if (this.#depth > this.#maxDepth && !this.#discarding) {
          this.#reset();
          this.#discarding = true;
          frames.push({ problem: 'too-deep' });
        }
      }
      else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
        this.#depth--;
        if (this.#depth === 0) {
          const frame = this.#finish(chunk.subarray(objectStart, i + 1));
          if (frame) frames.push(frame);
          objectStart = -1;
        }
      }
    }
    if (this.#depth > 0) {
      const frame = this.#keep(chunk.subarray(objectStart));
      if (frame) frames.push(frame);
    }
    if (strayBytes) frames.push({ problem: 'invalid-json' });
    return frames;
  }

  /** The client is done sending: an object left open is an error. */
  end(): JsonFrame[] {
    const unfinished = this.#depth > 0 && !this.#discarding;
    this.#reset();
    this.#depth = 0;
    this.#inString = false;
    this.#escaped = false;
    this.#discarding = false;
    return unfinished ? [{ problem: 'invalid-json' }] : [];
  }

  /** Adds the bytes of an unfinished object; reports `too-long` the moment it crosses the limit. */
  #keep(bytes: Buffer): JsonFrame | null {
    if (this.#discarding) return null;
    this.#bytes += bytes.length;
    if (this.#bytes > this.#maxRequestBytes) {
      this.#reset();
      this.#discarding = true;
      return { problem: 'too-long' };
    }
    this.#parts.push(bytes);
    return null;
  }

  #finish(tail: Buffer): JsonFrame | null {
    const problem = this.#keep(tail);
    if (this.#discarding) {
      this.#discarding = false;
      this.#reset();
      return problem;
    }
    const whole = this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts);
    this.#reset();
    try {
      return { text: decodeStrictUtf8(whole) };
    } catch {
      return { problem: 'invalid-utf8' };
    }
  }

  /** Drops the kept bytes; the scan state (nesting, strings) is left to the scan. */
  #reset(): void {
    this.#parts = [];
    this.#bytes = 0;
  }
}
