import type { CopyVersionResult } from '../backup/copy-version.ts';
import type { HashedFile } from '../backup/file-hash.ts';
import type { PathLookup } from '../backup/path-lookup.ts';
import type { RestoredDirectory } from '../backup/restore-directory.ts';
import type { CheckedSnapshot } from '../backup/snapshot-check.ts';
import type { SnapshotResult } from '../backup/snapshot-directory.ts';
import type { VersionFileFingerprint } from '../backup/version.ts';
import type { ErrorShape } from '../errors/safekeep-error.ts';
import { errorFromShape } from '../host/error-from-shape.ts';
import type { BackupFiles } from '../ports/backup-files.ts';

interface PendingCall {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/**
 * A replay's file system: it touches no disk. Each call waits until the
 * replay settles it with the result the recording holds, at the point in the
 * run where the recording shows it.
 */
export class ScriptedFiles implements BackupFiles {
  #count = 0;
  readonly #pending = new Map<number, PendingCall>();

  copyVersion(): Promise<CopyVersionResult> {
    return this.#call();
  }

  snapshotDirectory(): Promise<SnapshotResult> {
    return this.#call();
  }

  checkSnapshot(): Promise<CheckedSnapshot> {
    return this.#call();
  }

  removeLeftoverTempFiles(): Promise<number> {
    return this.#call();
  }

  removeVersionFile(): Promise<void> {
    return this.#call();
  }

  versionFileIntact(): Promise<boolean> {
    return this.#call();
  }

  listVersionFiles(): Promise<string[]> {
    return this.#call();
  }

  hashFile(): Promise<HashedFile> {
    return this.#call();
  }

  statVersionFile(): Promise<VersionFileFingerprint | null> {
    return this.#call();
  }

  lookUpPath(): Promise<PathLookup> {
    return this.#call();
  }

  restoreFile(): Promise<void> {
    return this.#call();
  }

  restoreDirectory(): Promise<RestoredDirectory> {
    return this.#call();
  }

  recoverDirectoryRestore(): Promise<string[]> {
    return this.#call();
  }

  /** Settles call number `call` (counted from 1); false when no such call is waiting. */
  settle(call: number, ok: boolean, value: unknown): boolean {
    const pending = this.#pending.get(call);
    if (!pending) return false;
    this.#pending.delete(call);
    if (ok) pending.resolve(value);
    else pending.reject(errorFromShape(value as ErrorShape));
    return true;
  }

  #call<T>(): Promise<T> {
    const call = ++this.#count;
    return new Promise<T>((resolve, reject) => this.#pending.set(call, { resolve: resolve as (value: unknown) => void, reject }));
  }
}
