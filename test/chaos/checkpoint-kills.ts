import type { ChaosRow } from './chaos-row.ts';
import { runBookWriteKills, type BookWriteKillsSize } from './book-write-kills.ts';

/** Log bytes between checkpoints: a few entry writes, so a checkpoint is running at nearly every kill. */
const TINY_CHECKPOINT_BYTES = 4096;

/**
 * `kill -9` of a real safekeep while clients add entries and the store
 * checkpoints all the time (`--checkpoint-bytes 4096`): kills land between a
 * checkpoint's steps (new log segment, shard written, key index written, old
 * segments deleted). Every acknowledged entry must still be there.
 */
export function runCheckpointKills(size: Omit<BookWriteKillsSize, 'serverArgs' | 'experiment'>): Promise<ChaosRow> {
  return runBookWriteKills({ ...size, serverArgs: ['--checkpoint-bytes', String(TINY_CHECKPOINT_BYTES)], experiment: 'kill -9 during book writes and store checkpoints' });
}
