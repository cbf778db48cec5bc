import { open, rm } from 'node:fs/promises';
import path from 'node:path';

/**
 * The physical floor of an acknowledged write, measured on the same disk as
 * the store: appending a record to a file and `fdatasync`ing it, one writer
 * at a time (the latency of one write) or many writers sharing each
 * `fdatasync` (group commit, the throughput of many).
 */

/** The latency of each of `count` appends of `recordBytes` + `fdatasync`, one after another, in ms. */
export async function appendLatencies(dir: string, recordBytes: number, count: number): Promise<number[]> {
  const file = path.join(dir, 'bench-append.log');
  const handle = await open(file, 'a', 0o600);
  const record = Buffer.alloc(recordBytes, 'r');
  record[recordBytes - 1] = 0x0a;
  const latencies: number[] = [];
  try {
    for (let n = 0; n < count; n++) {
      const started = performance.now();
      await handle.write(record);
      await handle.datasync();
      latencies.push(performance.now() - started);
    }
  } finally {
    await handle.close();
    await rm(file, { force: true });
  }
  return latencies;
}

/**
 * Acknowledged writes per second with `writers` writers each appending
 * `recordBytes` in a loop for `durationMs`: a minimal group commit on one
 * file descriptor. Records that arrive while an `fdatasync` runs go out
 * together in the next write and share the next `fdatasync`.
 */
export async function groupCommitRate(dir: string, recordBytes: number, writers: number, durationMs: number): Promise<number> {
  const file = path.join(dir, 'bench-group-commit.log');
  const handle = await open(file, 'a', 0o600);
  const record = Buffer.alloc(recordBytes, 'g');
  record[recordBytes - 1] = 0x0a;
  let waiting: (() => void)[] = [];
  let flushing: Promise<void> | null = null;

  const flush = async (): Promise<void> => {
    while (waiting.length > 0) {
      const group = waiting;
      waiting = [];
      await handle.write(Buffer.concat(group.map(() => record)));
      await handle.datasync();
      for (const acknowledge of group) acknowledge();
    }
    flushing = null;
  };
  const append = () =>
    new Promise<void>((resolve) => {
      waiting.push(resolve);
      flushing ??= flush();
    });

  const deadline = performance.now() + durationMs;
  let acknowledged = 0;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: writers }, async () => {
        while (performance.now() < deadline) {
          await append();
          acknowledged++;
        }
      }),
    );
  } finally {
    await handle.close();
    await rm(file, { force: true });
  }
  return acknowledged / ((performance.now() - started) / 1_000);
}
