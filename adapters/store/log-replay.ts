import { open, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { systemErrorCode } from '../../src/errors/safekeep-error.ts';
import { StoreCorruptError } from '../../src/store/errors.ts';
import { decodeLogRecord, type LogRecord } from './log-record.ts';

const SEGMENT_FILE = /^(\d{16})\.log$/;

/** `<16-digit seq of its first record>.log`: names sort as the segments were written. */
export const segmentFileName = (firstSeq: number): string => `${String(firstSeq).padStart(16, '0')}.log`;

/** The log's segment files, oldest first. */
export async function listSegments(logDir: string): Promise<string[]> {
  try {
    return (await readdir(logDir)).filter((name) => SEGMENT_FILE.test(name)).sort();
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return [];
    throw error;
  }
}

export interface ReplayedLog {
  /** Oldest first. */
  readonly segments: readonly string[];
  /** Bytes of the newest segment that hold whole records (after a torn tail was cut off, if `repair`). */
  readonly lastSegmentBytes: number;
  /** The seq the next record gets. */
  readonly nextSeq: number;
}

/** Bytes of records replayed between yields, so a long log does not hold the event loop. */
const BYTES_PER_TURN = 512 * 1024;

/**
 * Reads every record of the log in order and hands each to `apply`.
 *
 * The newest segment's last line may be a torn append (the process died while
 * writing it, before anyone was told it was durable): a checksum that does not
 * match, or no closing `\n`. It is dropped, and with `repair` cut off the file.
 * A bad record anywhere else is damage: acknowledged writes would be lost by
 * going on, so this refuses with StoreCorruptError naming segment and line.
 */
export async function replayLog(logDir: string, apply: (record: LogRecord) => void, options: { repair: boolean }): Promise<ReplayedLog> {
  const segments = await listSegments(logDir);
  let nextSeq = 1;
  let lastSegmentBytes = 0;
  for (const [position, name] of segments.entries()) {
    const newest = position === segments.length - 1;
    const filePath = path.join(logDir, name);
    // A segment is named after the seq its first record gets: an empty newest one still says where seqs go on,
    // so the next segment's name sorts after it.
    nextSeq = Math.max(nextSeq, Number(SEGMENT_FILE.exec(name)?.[1] ?? 0));
    const bytes = await readFile(filePath);
    let start = 0;
    let line = 0;
    let goodEnd = 0;
    let sinceYield = 0;
    while (start < bytes.length) {
      line++;
      const end = bytes.indexOf(0x0a, start);
      const lastLine = end < 0 || end === bytes.length - 1;
      const record = end < 0 ? null : decodeLogRecord(bytes.toString('utf8', start, end));
      if (record === null || record.seq < nextSeq) {
        if (newest && lastLine && record === null) break;
        throw damagedLog(name, line, filePath);
      }
      apply(record);
      nextSeq = record.seq + 1;
      sinceYield += end + 1 - start;
      start = end + 1;
      goodEnd = start;
      if (sinceYield >= BYTES_PER_TURN) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
    if (newest) {
      lastSegmentBytes = goodEnd;
      if (goodEnd < bytes.length && options.repair) await cutTornTail(filePath, goodEnd);
    }
  }
  return { segments, lastSegmentBytes, nextSeq };
}

function damagedLog(segment: string, line: number, filePath: string): StoreCorruptError {
  return new StoreCorruptError(
    `The store log segment ${segment} is damaged at line ${line}, before its end: the writes from there on were acknowledged and cannot be read, so the store will not start without them. ` +
      `Restore the data directory from a backup; or, to keep everything else, copy the log folder aside, delete that one line from the segment (the write it held is lost) and start again.`,
    { detail: `${filePath}:${line}` },
  );
}

async function cutTornTail(filePath: string, length: number): Promise<void> {
  const handle = await open(filePath, 'r+');
  try {
    await handle.truncate(length);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}
