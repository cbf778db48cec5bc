import { createHash } from 'node:crypto';
import { readdir, realpath, unlink } from 'node:fs/promises';
import { connect, createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import path from 'node:path';
import { systemErrorCode } from '../../src/errors/safekeep-error.ts';
import { readTextIfPresent } from '../../src/fs/read-text-if-present.ts';
import { writeFileDurably } from '../../src/fs/write-file-durably.ts';
import { DataDirLockedError } from '../../src/store/errors.ts';

export const LOCK_FILE_NAME = 'safekeep.lock';

/** What the lock file says: who owns the data directory, for messages and for hosts sharing a disk. */
interface LockOwner {
  readonly pid: number;
  readonly hostname: string;
}

export interface DataDirLock {
  release(): Promise<void>;
}

/** The steps of taking the lock, in order; tests pause between them to widen any race window there could be. */
export type LockStep = 'name-held' | 'owner-read' | 'owner-written';

export interface DataDirLockOptions {
  /** Awaited after each step (tests only). */
  readonly afterStep?: (step: LockStep) => Promise<void>;
}

/**
 * Makes this process the one owner of `dataDir`, with the operating system as
 * the referee rather than a check-then-act on a file.
 *
 * The owner binds a socket name derived from the data directory's real path:
 * on Linux an abstract Unix socket (`\0safekeep-lock-<sha256>`), on Windows a
 * named pipe of the same name. Only one process can bind a name, and the
 * kernel releases it the moment the owner dies (its descriptors are closed
 * before it becomes a zombie), so a killed owner needs no manual unlock and a
 * zombie or a reused pid cannot hold the directory. A live owner makes the
 * bind fail with EADDRINUSE: DataDirLockedError.
 *
 * Only once the name is held does the owner (re)write `safekeep.lock` with its
 * pid and host name, durably: the file is for messages, and for the one case
 * the socket cannot see, a process on another host sharing the disk, whose
 * lock is respected. Other platforms (macOS, BSD) have neither abstract
 * sockets nor self-removing pipes; there a socket file in the data directory
 * is used, which a killed owner leaves behind: a later start removes it only
 * after no one answers on it, which narrows but does not close the race.
 */
export async function acquireDataDirLock(dataDir: string, tempId: () => string, options: DataDirLockOptions = {}): Promise<DataDirLock> {
  const lockPath = path.join(dataDir, LOCK_FILE_NAME);
  const realDir = await realpath(dataDir);
  const server = await holdName(lockName(realDir), async () => lockedError(dataDir, await readOwner(lockPath)));
  try {
    await options.afterStep?.('name-held');
    await removeLeftoverTempFiles(dataDir);
    const owner = await readOwner(lockPath);
    await options.afterStep?.('owner-read');
    // Another host's process cannot be seen from here; respect its lock. Ours, on this host, is stale: we hold the name.
    if (owner && owner.hostname !== hostname()) throw lockedError(dataDir, owner);
    const me: LockOwner = { pid: process.pid, hostname: hostname() };
    await writeFileDurably(lockPath, `${JSON.stringify(me)}\n`, tempId());
    await options.afterStep?.('owner-written');
  } catch (error) {
    await closeServer(server);
    throw error;
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      // The file first: once the name is free another process may write its own.
      await unlink(lockPath).catch(() => undefined);
      await closeServer(server);
    },
  };
}

function lockedError(dataDir: string, owner: LockOwner | null | undefined): DataDirLockedError {
  const who = owner ? `pid ${owner.pid}${owner.hostname === hostname() ? '' : ` on host ${owner.hostname}`}` : 'pid not yet recorded';
  return new DataDirLockedError(
    `The data directory ${dataDir} is in use by another safekeep process (${who}). Stop that process, or give this one another --data-dir.`,
  );
}

/** The socket name for a data directory: its real path hashed, so two spellings of one folder share it. */
function lockName(realDir: string): string {
  const name = `safekeep-lock-${createHash('sha256').update(realDir).digest('hex')}`;
  if (process.platform === 'linux') return `\0${name}`;
  if (process.platform === 'win32') return `\\\\?\\pipe\\${name}`;
  return path.join(realDir, `${LOCK_FILE_NAME}.sock`);
}

/** Binds `name`; a name already bound means a live owner, and `locked()` says which. */
async function holdName(name: string, locked: () => Promise<Error>): Promise<Server> {
  try {
    return await listen(name);
  } catch (error) {
    if (systemErrorCode(error) !== 'EADDRINUSE') throw error;
    if (name.startsWith('\0') || process.platform === 'win32' || (await answers(name))) throw await locked();
  }
  // A socket file left by a killed owner on a platform without abstract sockets: no one answers on it.
  await unlink(name).catch(() => undefined);
  try {
    return await listen(name);
  } catch (error) {
    if (systemErrorCode(error) === 'EADDRINUSE') throw await locked();
    throw error;
  }
}

function listen(name: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    // Nobody is meant to connect; one who does (a probe) is closed at once.
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen({ path: name, exclusive: true }, () => {
      server.off('error', reject);
      server.on('error', () => undefined);
      // Holding the lock must not keep the process alive by itself.
      server.unref();
      resolve(server);
    });
  });
}

function answers(name: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ path: name });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Temp files of a lock write killed before its rename, and claim files an
 * older version's killed start left (`safekeep.lock.<id>`): only the owner
 * writes these, and we are it now. The socket file of other platforms stays.
 */
async function removeLeftoverTempFiles(dataDir: string): Promise<void> {
  const names = await readdir(dataDir);
  await Promise.all(
    names
      .filter((name) => name.startsWith(`${LOCK_FILE_NAME}.`) && name !== `${LOCK_FILE_NAME}.sock`)
      .map((name) => unlink(path.join(dataDir, name)).catch(() => undefined)),
  );
}

/** undefined: no lock file; null: one that is not readable as a lock (partial, foreign). */
async function readOwner(lockPath: string): Promise<LockOwner | null | undefined> {
  const text = await readTextIfPresent(lockPath);
  if (text === null) return undefined;
  try {
    const owner = JSON.parse(text) as Partial<LockOwner>;
    return typeof owner.pid === 'number' ? { pid: owner.pid, hostname: typeof owner.hostname === 'string' ? owner.hostname : hostname() } : null;
  } catch {
    return null;
  }
}
