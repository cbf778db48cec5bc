import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkVersionRecord, type VersionCheck } from '../../src/backup/version-check.ts';
import { localBackupFiles } from '../../src/backup/local-backup-files.ts';
import { manifestPathOf } from '../../src/backup/snapshot-manifest.ts';
import { TEMP_FILE_PREFIX } from '../../src/backup/version-name.ts';
import { MAIN, TSX } from '../helpers/safekeep-process.ts';
import { storedCollection } from '../helpers/stored-collection.ts';

/**
 * The built CLI when it is newer than every source file (`npm test` builds
 * first): it starts in a fraction of tsx's time, which matters over hundreds
 * of restarts. A stale build would test old code, so then the source runs
 * through tsx.
 */
const BUILT = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SAFEKEEP_COMMAND: readonly string[] = builtIsFresh() ? [process.execPath, BUILT] : [process.execPath, '--import', TSX, MAIN];

function builtIsFresh(): boolean {
  if (!existsSync(BUILT)) return false;
  const builtAt = statSync(BUILT).mtimeMs;
  const newest = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((latest, entry) => {
      const entryPath = path.join(dir, entry.name);
      return Math.max(latest, entry.isDirectory() ? newest(entryPath) : entry.name.endsWith('.ts') ? statSync(entryPath).mtimeMs : 0);
    }, 0);
  return ['src', 'adapters', 'machines'].every((folder) => newest(path.join(ROOT, folder)) <= builtAt);
}
/** The targeted-kill host (predictable copy ids), from source. */
const CHILD = fileURLToPath(new URL('./children/safekeep-child.ts', import.meta.url));
export const CHILD_COMMAND: readonly string[] = [process.execPath, '--import', TSX, CHILD];

/** A safekeep child process (optionally under a wrapper such as strace), with what it printed. */
export class ChaosProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout = '';
  stderr = '';
  readonly #waiters: (() => void)[] = [];

  /** `command` is SAFEKEEP_COMMAND (the CLI) or CHILD_COMMAND; `wrapper` goes before it (strace …). */
  constructor(args: readonly string[], cwd: string, options: { command?: readonly string[]; wrapper?: readonly string[] } = {}) {
    const [command, ...rest] = [...(options.wrapper ?? []), ...(options.command ?? SAFEKEEP_COMMAND), ...args] as [string, ...string[]];
    this.child = spawn(command, rest, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout?.setEncoding('utf8').on('data', (text: string) => this.#append('stdout', text));
    this.child.stderr?.setEncoding('utf8').on('data', (text: string) => this.#append('stderr', text));
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => {
        this.#wake();
        resolve({ code, signal });
      }),
    );
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first match of `pattern` in a stream; null if the process exits (or `timeoutMs` passes) first. */
  async waitFor(stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this[stream].match(pattern);
      if (match) return match;
      if (!this.running || Date.now() > deadline) return null;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 250).unref();
      });
    }
  }

  async port(timeoutMs = 60_000): Promise<number | null> {
    const match = await this.waitFor('stdout', /listening on [\d.]+:(\d+)/, timeoutMs);
    return match ? Number(match[1]) : null;
  }

  async kill9(): Promise<void> {
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) this.child.kill('SIGTERM');
    return this.exited;
  }

  #append(stream: 'stdout' | 'stderr', text: string): void {
    this[stream] += text;
    this.#wake();
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}

/** The catalog's version records as they are on disk, by key (the shards and the store's log, read as `safekeep check` reads them). */
export async function catalogVersions(dataDir: string): Promise<Record<string, unknown>> {
  return storedCollection(dataDir, 'backup.versions');
}

/** What a job folder holds against what the catalog says. */
export interface FolderAudit {
  /** Every catalog version checked against its file (digest, then bytes). */
  readonly checks: readonly VersionCheck[];
  /** Catalogued versions, not marked damaged, whose file is not what was registered: a partial or wrong copy offered as a version. */
  readonly partialRegistered: readonly string[];
  /** Version files in the folder that the catalog does not list. */
  readonly orphans: readonly string[];
  readonly tempFiles: readonly string[];
}

export async function auditJobFolder(dataDir: string, jobDir: string): Promise<FolderAudit> {
  const records = await catalogVersions(dataDir);
  const checks: VersionCheck[] = [];
  const partialRegistered: string[] = [];
  for (const [key, stored] of Object.entries(records)) {
    const check = await checkVersionRecord(key, stored, localBackupFiles);
    checks.push(check);
    const markedDamaged = typeof stored === 'object' && stored !== null && 'damaged' in stored;
    if (check.damaged && !markedDamaged && check.reason !== 'record-damaged') partialRegistered.push(key);
  }
  const names = await readdir(jobDir).catch(() => [] as string[]);
  // A snapshot is its folder and the manifest beside it.
  const listed = new Set(checks.flatMap((check) => (check.path === null ? [] : [check.path, manifestPathOf(check.path)])));
  return {
    checks,
    partialRegistered,
    orphans: names.filter((name) => !name.startsWith(TEMP_FILE_PREFIX) && !listed.has(path.join(jobDir, name))),
    tempFiles: names.filter((name) => name.startsWith(TEMP_FILE_PREFIX)),
  };
}
