import { crc32 } from 'node:zlib';
import type { StoreWrite } from '../../src/store/messages.ts';

/** One acknowledged write (a put, a delete or a whole batch): one line of the write-ahead log. */
export interface LogRecord {
  readonly seq: number;
  readonly writes: readonly StoreWrite[];
}

/**
 * The writes of one record as JSON, made when the write is asked for: a value
 * that JSON cannot hold is refused then, and what is logged, what memory
 * holds and what a replay rebuilds are the same plain JSON.
 */
export function writesJson(writes: readonly StoreWrite[]): string {
  return JSON.stringify(writes.map(plainWrite));
}

/**
 * `<crc32 of the JSON, 8 hex> <JSON>\n`: a person can still read the log with
 * `less`, and a line cut short by a crash fails its checksum. JSON escapes
 * every newline inside strings, so the only `\n` is the record's end.
 */
export function encodeLogRecord(seq: number, writes: string): string {
  const json = `{"seq":${seq},"writes":${writes}}`;
  return `${crc32(json).toString(16).padStart(8, '0')} ${json}\n`;
}

/** The record a line holds, or null when the line is not one whole, intact record. */
export function decodeLogRecord(line: string): LogRecord | null {
  if (line.length < 10 || line[8] !== ' ') return null;
  const json = line.slice(9);
  if (crc32(json).toString(16).padStart(8, '0') !== line.slice(0, 8)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return null;
  }
  return isLogRecord(parsed) ? parsed : null;
}

/** Only the fields a write means, whatever else the command carried (a commandId, a stray field). */
function plainWrite(write: StoreWrite): StoreWrite {
  return write.op === 'put'
    ? { op: 'put', collection: write.collection, key: write.key, value: write.value }
    : { op: 'delete', collection: write.collection, key: write.key };
}

function isLogRecord(value: unknown): value is LogRecord {
  if (typeof value !== 'object' || value === null) return false;
  const { seq, writes } = value as Partial<LogRecord>;
  return (
    Number.isSafeInteger(seq) &&
    Array.isArray(writes) &&
    writes.every(
      (write: Partial<StoreWrite> | null) =>
        typeof write === 'object' && write !== null && (write.op === 'put' || write.op === 'delete') && typeof write.collection === 'string' && typeof write.key === 'string',
    )
  );
}
