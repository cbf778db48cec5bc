import type { CopyVersionResult } from '../backup/copy-version.ts';
import type { HashedFile } from '../backup/file-hash.ts';
import type { PathLookup } from '../backup/path-lookup.ts';
import type { RestoredDirectory } from '../backup/restore-directory.ts';
import type { CheckedSnapshot } from '../backup/snapshot-check.ts';
import type { SnapshotResult } from '../backup/snapshot-directory.ts';
import type { VersionFileFingerprint } from '../backup/version.ts';
import type { BackupFiles } from '../ports/backup-files.ts';
import { ScriptedCalls } from './scripted-calls.ts';

/**
 * A replay's file system: it touches no disk. Each call waits until the
 * replay settles it with the result the recording holds, at the point in the
 * run where the recording shows it.
 */
export class ScriptedFiles implements BackupFiles {
  readonly #calls = new ScriptedCalls();

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
    return this.#calls.settle(call, ok, value);
  }

  #call<T>(): Promise<T> {
    return this.#calls.call<T>();
  }
}
