import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, readdir, readFile, stat, truncate, utimes, writeFile, mkdir, chmod } from 'node:fs/promises';
import path from 'node:path';
import { copyVersion, type CopyVersionRequest } from '../../src/backup/copy-version.ts';
import { removeLeftoverTempFiles } from '../../src/backup/version-files.ts';
import { tempFileName } from '../../src/backup/version-name.ts';
import { SafekeepError } from '../../src/errors/safekeep-error.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { readOnlyDir, tinyDir } from '../helpers/restricted-dir.ts';
import { partialCopyAppears } from '../helpers/partial-copy.ts';

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

async function setup() {
  const root = await tempDir('copy-version');
  const sourcePath = path.join(root, 'notes.json');
  const destinationDir = path.join(root, 'backups', 'notes.json');
  let n = 0;
  const request = (overrides: Partial<CopyVersionRequest> = {}): CopyVersionRequest => ({
    sourcePath,
    destinationDir,
    fileName: `notes.v${++n}.json`,
    tempId: `t${n}`,
    newest: null,
    ...overrides,
  });
  return { root, sourcePath, destinationDir, request };
}

function assertCode(code: string) {
  return (error: unknown) => {
    assert.ok(error instanceof SafekeepError, `expected a SafekeepError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

describe('copying a version', () => {
  it('copies the bytes into a new file and reports their size and SHA-256', async () => {
    const { sourcePath, request } = await setup();
    await writeFile(sourcePath, '{"a":1}');
    const result = await copyVersion(request());
    assert.equal(result.kind, 'copied');
    if (result.kind !== 'copied') return;
    assert.equal(await readFile(result.path, 'utf8'), '{"a":1}');
    assert.equal(result.size, 7);
    assert.equal(result.sha256, sha256('{"a":1}'));
    assert.ok(path.isAbsolute(result.path));
  });

  it('copies a file larger than one read chunk exactly', async () => {
    const { sourcePath, request } = await setup();
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31) & 0xff;
    await writeFile(sourcePath, bytes);
    const result = await copyVersion(request());
    assert.equal(result.kind, 'copied');
    if (result.kind !== 'copied') return;
    assert.equal(sha256(await readFile(result.path)), sha256(bytes));
  });

  it('creates version files readable by their owner only, and leaves no temp file', async () => {
    const { sourcePath, destinationDir, request } = await setup();
    await writeFile(sourcePath, 'secret-ish');
    const result = await copyVersion(request());
    assert.equal(result.kind === 'copied' && ((await stat(result.path)).mode & 0o777), 0o600);
    assert.deepEqual(await readdir(destinationDir), ['notes.v1.json']);
  });

  it('copies nothing when size, mtime and inode match the newest version', async () => {
    const { sourcePath, destinationDir, request } = await setup();
    await writeFile(sourcePath, 'v1');
    const first = await copyVersion(request());
    assert.equal(first.kind, 'copied');
    if (first.kind !== 'copied') return;
    const second = await copyVersion(request({ newest: first }));
    assert.equal(second.kind, 'unchanged');
    assert.deepEqual(await readdir(destinationDir), ['notes.v1.json']);
  });

  it('copies again when the source changed', async () => {
    const { sourcePath, request } = await setup();
    await writeFile(sourcePath, 'v1');
    const first = await copyVersion(request());
    if (first.kind !== 'copied') return assert.fail('first copy');
    await writeFile(sourcePath, 'v2');
    const second = await copyVersion(request({ newest: first }));
    assert.equal(second.kind, 'copied');
    assert.equal(second.kind === 'copied' && (await readFile(second.path, 'utf8')), 'v2');
    assert.equal(await readFile(first.path, 'utf8'), 'v1');
  });

  it('makes no new version when only the timestamp changed, and reports the new fingerprint', async () => {
    const { sourcePath, destinationDir, request } = await setup();
    await writeFile(sourcePath, 'same bytes');
    const first = await copyVersion(request());
    if (first.kind !== 'copied') return assert.fail('first copy');
    await utimes(sourcePath, new Date('2030-01-01'), new Date('2030-01-01'));
    const second = await copyVersion(request({ newest: first }));
    assert.equal(second.kind, 'unchanged');
    assert.notEqual(second.source.mtimeNs, first.source.mtimeNs);
    assert.deepEqual(await readdir(destinationDir), ['notes.v1.json']);
  });

  it('keeps two versions made in the same second apart', async () => {
    const { sourcePath, destinationDir, request } = await setup();
    await writeFile(sourcePath, 'one');
    await copyVersion(request({ fileName: 'notes.2026-01-01T00-00-00-000Z.000001.json' }));
    await writeFile(sourcePath, 'two!');
    await copyVersion(request({ fileName: 'notes.2026-01-01T00-00-00-000Z.000002.json' }));
    const names = (await readdir(destinationDir)).sort();
    assert.equal(names.length, 2);
    assert.equal(await readFile(path.join(destinationDir, names[0] ?? ''), 'utf8'), 'one');
    assert.equal(await readFile(path.join(destinationDir, names[1] ?? ''), 'utf8'), 'two!');
  });

  it('refuses to replace an existing version file', async () => {
    const { sourcePath, destinationDir, request } = await setup();
    await writeFile(sourcePath, 'one');
    await copyVersion(request({ fileName: 'taken.json' }));
    await writeFile(sourcePath, 'two');
    await assert.rejects(copyVersion(request({ fileName: 'taken.json' })), assertCode('DESTINATION_NOT_WRITABLE'));
    assert.equal(await readFile(path.join(destinationDir, 'taken.json'), 'utf8'), 'one');
    assert.deepEqual(await readdir(destinationDir), ['taken.json']);
  });

  it('fails with SOURCE_NOT_FOUND for a missing source', async () => {
    const { request } = await setup();
    await assert.rejects(copyVersion(request()), assertCode('SOURCE_NOT_FOUND'));
  });

  it('fails with SOURCE_NOT_A_FILE for a directory', async () => {
    const { sourcePath, request } = await setup();
    await mkdir(sourcePath);
    await assert.rejects(copyVersion(request()), assertCode('SOURCE_NOT_A_FILE'));
  });

  it('fails with SOURCE_UNREADABLE for a source it may not read', { skip: process.getuid?.() === 0 && 'root reads every file' }, async () => {
    const { sourcePath, request } = await setup();
    await writeFile(sourcePath, 'x');
    await chmod(sourcePath, 0o000);
    await assert.rejects(copyVersion(request()), assertCode('SOURCE_UNREADABLE'));
  });

  it('fails with DESTINATION_NOT_WRITABLE on a read-only destination, leaving nothing behind', async (t) => {
    const { root, sourcePath, request } = await setup();
    await writeFile(sourcePath, 'x');
    const readOnly = await readOnlyDir(path.join(root, 'readonly'));
    if (!readOnly) return t.skip('cannot make a read-only directory here');
    try {
      const destinationDir = path.join(readOnly.path, 'job');
      await assert.rejects(copyVersion(request({ destinationDir })), assertCode('DESTINATION_NOT_WRITABLE'));
      await assert.rejects(copyVersion(request({ destinationDir: readOnly.path })), assertCode('DESTINATION_NOT_WRITABLE'));
      assert.deepEqual(await readdir(readOnly.path), []);
    } finally {
      await readOnly.release();
    }
  });

  it('fails with DESTINATION_FULL when the destination runs out of space, removing the partial copy', async (t) => {
    const { root, sourcePath, request } = await setup();
    await writeFile(sourcePath, Buffer.alloc(512 * 1024, 7));
    const tiny = await tinyDir(path.join(root, 'tiny'), 128);
    if (!tiny) return t.skip('cannot mount a small file system here');
    try {
      await assert.rejects(copyVersion(request({ destinationDir: tiny.path })), assertCode('DESTINATION_FULL'));
      assert.deepEqual(await readdir(tiny.path), []);
    } finally {
      await tiny.release();
    }
  });

  it('discards the copy with SOURCE_CHANGED_DURING_COPY when the source is written to meanwhile', async () => {
    const { sourcePath, destinationDir, request } = await setup();
    await writeFile(sourcePath, '');
    await truncate(sourcePath, 128 * 1024 * 1024);
    const copying = copyVersion(request());
    await partialCopyAppears(destinationDir);
    await appendFile(sourcePath, 'a late write');
    await assert.rejects(copying, assertCode('SOURCE_CHANGED_DURING_COPY'));
    assert.deepEqual(await readdir(destinationDir), []);
  });

  it('removes the temp file when the copy is aborted', async () => {
    const { sourcePath, destinationDir, request } = await setup();
    await writeFile(sourcePath, Buffer.alloc(4 * 1024 * 1024));
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(copyVersion(request({ signal: controller.signal })), assertCode('COPY_ABORTED'));
    assert.deepEqual(await readdir(destinationDir), []);
  });

  it('cleans leftover temp files of an interrupted copy and nothing else', async () => {
    const { destinationDir } = await setup();
    await mkdir(destinationDir, { recursive: true });
    await writeFile(path.join(destinationDir, tempFileName('crashed')), 'partial');
    await writeFile(path.join(destinationDir, 'notes.v1.json'), 'complete');
    assert.equal(await removeLeftoverTempFiles(destinationDir), 1);
    assert.deepEqual(await readdir(destinationDir), ['notes.v1.json']);
    assert.equal(await removeLeftoverTempFiles(path.join(destinationDir, 'missing')), 0);
  });
});
