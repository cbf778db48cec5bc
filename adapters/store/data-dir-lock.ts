import { link, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { systemErrorCode } from '../../src/errors/safekeep-error.ts';
import { DataDirLockedError } from '../../src/store/errors.ts';
import { writeFileDurably } from '../../src/fs/write-file-durably.ts';

export const LOCK_FILE_NAME = 'safekeep.lock';

interface LockOwner {
  readonly pid: number;
  /** The owner's start time as the kernel counts it, so a reused pid is not mistaken for the owner. */
  readonly processStart: string | null;
  readonly hostname: string;
}

export interface DataDirLock {
  release(): Promise<void>;
}

/**
 * Makes this process the one owner of `dataDir`. A lock left by a process
 * that is gone (killed, crashed, or on another boot) is taken over; a lock
 * held by a live process is refused with DataDirLockedError.
 */
export async function acquireDataDirLock(dataDir: string, tempId: () => string): Promise<DataDirLock> {
  const lockPath = path.join(dataDir, LOCK_FILE_NAME);
  const me: LockOwner = { pid: process.pid, processStart: await processStartTime(process.pid), hostname: hostname() };
  const text = `${JSON.stringify(me)}\n`;

  for (let attempt = 0; attempt < 3; attempt++) {
    const owner = await readOwner(lockPath);
    if (owner && (await isAlive(owner))) {
      throw new DataDirLockedError(
        `The data directory ${dataDir} is in use by another safekeep process (pid ${owner.pid}). ` +
          'Stop that process, or give this one another --data-dir.',
      );
    }
    if (owner !== undefined) await unlink(lockPath).catch(() => undefined);
    try {
      await createExclusively(lockPath, text, tempId());
      return {
        async release() {
          const current = await readOwner(lockPath);
          if (current && current.pid === me.pid && current.processStart === me.processStart) await unlink(lockPath);
        },
      };
    } catch (error) {
      if (systemErrorCode(error) !== 'EEXIST') throw error;
    }
  }
  throw new DataDirLockedError(`Could not take the lock on ${dataDir}: other processes keep taking it`);
}

/**
 * Writes the claim durably under a temp name, then links it into place: the
 * lock file never exists half-written, and link fails if another process won.
 */
async function createExclusively(lockPath: string, text: string, tempId: string): Promise<void> {
  const claimPath = `${lockPath}.${tempId}`;
  await writeFileDurably(claimPath, text, tempId);
  try {
    await link(claimPath, lockPath);
  } finally {
    await unlink(claimPath).catch(() => undefined);
  }
}

/** undefined: no lock file; null: a lock file that is not ours to read (partial, foreign) and so stale. */
async function readOwner(lockPath: string): Promise<LockOwner | null | undefined> {
  let text: string;
  try {
    text = await readFile(lockPath, 'utf8');
  } catch (error) {
    if (systemErrorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    return typeof owner.pid === 'number' ? { pid: owner.pid, processStart: owner.processStart ?? null, hostname: owner.hostname ?? '' } : null;
  } catch {
    return null;
  }
}

async function isAlive(owner: LockOwner): Promise<boolean> {
  // A lock from another machine (a data directory on a shared disk) cannot be checked: respect it.
  if (owner.hostname !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if (systemErrorCode(error) === 'ESRCH') return false;
  }
  const start = await processStartTime(owner.pid);
  return start === null || owner.processStart === null || start === owner.processStart;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot), or null off Linux. */
async function processStartTime(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces and parentheses; count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}
