import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { acquireDataDirLock } from '../../adapters/store/data-dir-lock.ts';
import { inspectStore } from '../../adapters/store/inspect-store.ts';
import { hashFile } from '../backup/file-hash.ts';
import { checkSnapshot } from '../backup/snapshot-check.ts';
import { checkVersionRecord } from '../backup/version-check.ts';
import { checkBookDocument, checkEntryDocument, checkPendingDocument } from '../book/book-check.ts';
import { KEY_BYTES } from '../book/sealed-box.ts';
import { SafekeepError } from '../errors/safekeep-error.ts';
import { randomIds } from '../ids/ids.ts';
import { digestState } from '../integrity/record-digest.ts';

export const CHECK_HELP = `Usage: safekeep check [--data-dir DIR] [--json]

Checks a stopped safekeep's data directory offline, like restic check
--read-data: every store file is parsed, every backup version re-hashed against
its catalog record, and every record's digest compared (catalog jobs and
versions, password-book users, entries and inbox records; sealed data is never
opened). Prints each damaged thing and a summary.

Options:
  --data-dir DIR   The data directory (default ./safekeep-data).
  --json           One JSON object instead of text.
  -h, --help       Show this help.

Exit codes: 0 nothing damaged; 1 damage found; 2 the check could not run
(bad option, no such directory, the service still running there).
`;

/** One damaged thing, in words for a person, and what it is for a script. */
export interface Damage {
  readonly kind: 'store-file' | 'job' | 'version' | 'user' | 'credentials' | 'entry' | 'inbox' | 'service-key';
  readonly what: string;
  readonly reason: string;
}

export interface CheckReport {
  readonly dataDir: string;
  readonly checked: { storeFiles: number; jobs: number; versions: number; users: number; entries: number; inbox: number };
  /** Records written before digests existed: accepted, not checkable offline. */
  readonly unchecked: number;
  readonly damage: readonly Damage[];
}

/** `safekeep check`: resolves with the exit code. */
export async function checkCommand(argv: readonly string[], cwd: string, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], strict: true, options: { 'data-dir': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }));
  } catch (error) {
    err.write(`safekeep check: ${error instanceof Error ? error.message : String(error)}\nRun with --help to see the usage.\n`);
    return 2;
  }
  if (values.help) {
    out.write(CHECK_HELP);
    return 0;
  }
  const dataDir = path.resolve(cwd, values['data-dir'] ?? 'safekeep-data');
  if (!(await stat(dataDir).then((stats) => stats.isDirectory(), () => false))) {
    err.write(`safekeep check: ${dataDir} is not a data directory\n`);
    return 2;
  }
  let report: CheckReport;
  try {
    // Held for the whole check: nothing changes the files while they are read, and a running service is refused.
    const lock = await acquireDataDirLock(dataDir, () => randomIds.next('check'));
    try {
      report = await checkDataDir(dataDir);
    } finally {
      await lock.release();
    }
  } catch (error) {
    err.write(`safekeep check: ${error instanceof SafekeepError ? `${error.message} (code ${error.code})` : error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  out.write(values.json ? `${JSON.stringify(report)}\n` : describeReport(report));
  return report.damage.length === 0 ? 0 : 1;
}

/** Checks everything in `dataDir` that can be checked without a master password. The caller holds the lock. */
export async function checkDataDir(dataDir: string): Promise<CheckReport> {
  const store = await inspectStore(dataDir, randomIds);
  const damage: Damage[] = store.damaged.map((file) => ({ kind: 'store-file', what: `${file.collection} ${file.shard === 'manifest' ? 'manifest' : `shard ${file.shard}`}`, reason: file.message }));
  const documents = (collection: string) => Object.entries(store.collections.get(collection) ?? {});
  let unchecked = 0;

  const jobs = documents('backup.jobs');
  for (const [key, record] of jobs) {
    const state = typeof record === 'object' && record !== null ? digestState(record) : 'damaged';
    if (state === 'unchecked') unchecked++;
    if (state === 'damaged') damage.push({ kind: 'job', what: `job ${key}`, reason: 'its catalog record fails its digest' });
  }
  const versions = documents('backup.versions');
  for (const [key, record] of versions) {
    if (typeof record === 'object' && record !== null && digestState(record) === 'unchecked') unchecked++;
    const check = await checkVersionRecord(key, record, { hashFile, checkSnapshot });
    if (check.damaged) damage.push({ kind: 'version', what: `version ${key}${check.path ? ` (${check.path})` : ''}`, reason: check.reason ?? 'damaged' });
  }

  const users = documents('book.users');
  let entries = 0;
  for (const [username, document] of users) {
    const check = checkBookDocument(username, document);
    unchecked += check.unchecked;
    // A version-1 document (its user has not logged in since) still holds its entries.
    const stored = check.wholeBook ? (document as { entries?: unknown }).entries : null;
    entries += typeof stored === 'object' && stored !== null ? Object.keys(stored).length : 0;
    if (check.recordDamaged) damage.push({ kind: 'user', what: `user ${username}`, reason: 'the record is not a book' });
    else if (check.credentialsDamaged) damage.push({ kind: 'credentials', what: `user ${username}`, reason: 'the master-password record fails its digest: this user cannot log in until it is restored' });
    for (const entryId of check.damagedEntries) damage.push({ kind: 'entry', what: `entry ${entryId} of ${username}`, reason: 'fails its digest (listed as damaged, deletable by id)' });
  }
  const userNames = new Set(users.map(([username]) => username));
  for (const [key, document] of documents('book.entries')) {
    entries++;
    const check = checkEntryDocument(key, document);
    if (check.damaged) damage.push({ kind: 'entry', what: `entry ${check.entryId} of ${check.username}`, reason: 'fails its digest or is not stored under its own name (listed as damaged, deletable by id)' });
    else if (!userNames.has(check.username)) damage.push({ kind: 'entry', what: `entry ${check.entryId} of ${check.username}`, reason: 'belongs to no user' });
  }
  const inbox = documents('book.pending');
  for (const [pendingId, document] of inbox) {
    const state = checkPendingDocument(pendingId, document);
    if (state === 'unchecked') unchecked++;
    if (state === 'damaged') damage.push({ kind: 'inbox', what: `inbox password ${pendingId}`, reason: 'fails its digest' });
  }
  const key = await readFile(path.join(dataDir, 'keys', 'service.key')).catch(() => null);
  if (key !== null && key.length !== KEY_BYTES) damage.push({ kind: 'service-key', what: 'keys/service.key', reason: `${key.length} bytes, not ${KEY_BYTES}` });
  if (key === null && inbox.length > 0) damage.push({ kind: 'service-key', what: 'keys/service.key', reason: 'missing, so the inbox cannot be opened' });

  const storeFiles = [...store.collections.keys()].length + store.damaged.length;
  return { dataDir, checked: { storeFiles, jobs: jobs.length, versions: versions.length, users: users.length, entries, inbox: inbox.length }, unchecked, damage };
}

function describeReport(report: CheckReport): string {
  const { checked } = report;
  const lines = report.damage.map((item) => `DAMAGED ${item.what}: ${item.reason}`);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  lines.push(
    `Checked ${report.dataDir}: ${plural(checked.storeFiles, 'collection')}, ${plural(checked.jobs, 'job')}, ${plural(checked.versions, 'version')} (re-hashed), ` +
      `${plural(checked.users, 'user')} with ${plural(checked.entries, 'entry').replace('entrys', 'entries')}, ${plural(checked.inbox, 'inbox password')}: ` +
      `${report.damage.length === 0 ? 'nothing damaged' : `${plural(report.damage.length, 'damaged thing')}`}.` +
      (report.unchecked > 0 ? ` ${plural(report.unchecked, 'record')} written before digests could not be checked offline.` : ''),
  );
  return `${lines.join('\n')}\n`;
}
