import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFile, open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { copyToTempFile } from '../../src/backup/copy-to-temp-file.ts';
import { SafekeepError } from '../../src/errors/safekeep-error.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { tinyDir } from '../helpers/restricted-dir.ts';

const MiB = 1024 * 1024;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Bytes that differ from chunk to chunk, so a chunk written at the wrong place shows. */
function patterned(size: number): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 31 + (i >> 20)) & 0xff;
  return bytes;
}

async function withSource(content: Buffer) {
  const root = await tempDir('copy-to-temp');
  const sourcePath = path.join(root, 'disk.img');
  await writeFile(sourcePath, content);
  const source = await open(sourcePath, 'r');
  return { root, sourcePath, source, tempPath: path.join(root, '.tmp-copy') };
}

function assertCode(code: string) {
  return (error: unknown) => {
    assert.ok(error instanceof SafekeepError, `expected a SafekeepError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };
}

describe('copying an open file to a temp file', () => {
  it('writes exactly the source bytes across many chunks and hashes exactly them', async () => {
    const bytes = patterned(9 * 4 * MiB + 17);
    const { sourcePath, source, tempPath } = await withSource(bytes);
    try {
      const copy = await copyToTempFile(source, sourcePath, tempPath);
      assert.equal(copy.size, bytes.length);
      assert.equal(copy.sha256, sha256(bytes));
      assert.ok((await readFile(tempPath)).equals(bytes));
      assert.equal((await stat(tempPath)).mode & 0o777, 0o600);
      assert.equal(copy.source.size, bytes.length);
    } finally {
      await source.close();
    }
  });

  it('copies an empty file', async () => {
    const { sourcePath, source, tempPath } = await withSource(Buffer.alloc(0));
    try {
      const copy = await copyToTempFile(source, sourcePath, tempPath);
      assert.deepEqual([copy.size, copy.sha256], [0, sha256(Buffer.alloc(0))]);
      assert.equal((await readFile(tempPath)).length, 0);
    } finally {
      await source.close();
    }
  });

  it('tells its progress as it hashes, rising to the whole size', async () => {
    const bytes = patterned(3 * 4 * MiB + 5);
    const { sourcePath, source, tempPath } = await withSource(bytes);
    const heard: [number, number][] = [];
    try {
      await copyToTempFile(source, sourcePath, tempPath, { onProgress: (done, total) => heard.push([done, total]) });
    } finally {
      await source.close();
    }
    // How the bytes split into chunks depends on how far ahead the kernel's copy is; no chunk is over 4 MiB.
    assert.ok(heard.length >= 4);
    assert.ok(heard.every(([done, total], index) => total === bytes.length && done > (heard[index - 1]?.[0] ?? 0) && done - (heard[index - 1]?.[0] ?? 0) <= 4 * MiB));
    assert.deepEqual(heard.at(-1), [bytes.length, bytes.length]);
  });

  it('reads the copy back when asked to verify, and still gives the same hash', async () => {
    const bytes = patterned(5 * MiB);
    const { sourcePath, source, tempPath } = await withSource(bytes);
    try {
      const copy = await copyToTempFile(source, sourcePath, tempPath, { verify: true });
      assert.equal(copy.sha256, sha256(bytes));
    } finally {
      await source.close();
    }
  });

  it('stops with COPY_ABORTED part-way, removes the temp file and leaves the source open', async () => {
    const { root, sourcePath, source, tempPath } = await withSource(patterned(6 * 4 * MiB));
    const controller = new AbortController();
    try {
      const copying = copyToTempFile(source, sourcePath, tempPath, {
        signal: controller.signal,
        onProgress: (done) => {
          if (done >= 8 * MiB) controller.abort();
        },
      });
      await assert.rejects(copying, assertCode('COPY_ABORTED'));
      assert.deepEqual(await readdir(root), ['disk.img']);
      // Still open and usable: the caller owns it.
      assert.equal((await source.stat()).size, 6 * 4 * MiB);
    } finally {
      await source.close();
    }
  });

  it('discards the copy with SOURCE_CHANGED_DURING_COPY when the source grows while it is read', async () => {
    const { root, sourcePath, source, tempPath } = await withSource(patterned(4 * 4 * MiB));
    let written = false;
    try {
      const copying = copyToTempFile(source, sourcePath, tempPath, {
        onProgress: () => {
          if (written) return;
          written = true;
          void appendFile(sourcePath, 'a late write');
        },
      });
      await assert.rejects(copying, assertCode('SOURCE_CHANGED_DURING_COPY'));
      assert.deepEqual(await readdir(root), ['disk.img']);
    } finally {
      await source.close();
    }
  });

  it('never reuses an existing file at the temp path', async () => {
    const { sourcePath, source, tempPath } = await withSource(patterned(1024));
    await writeFile(tempPath, 'someone else');
    try {
      await assert.rejects(copyToTempFile(source, sourcePath, tempPath), assertCode('DESTINATION_NOT_WRITABLE'));
      assert.equal(await readFile(tempPath, 'utf8'), 'someone else');
    } finally {
      await source.close();
    }
  });

  it('fails with DESTINATION_FULL when the disk fills part-way, removing the partial copy', async (t) => {
    const { root, sourcePath, source } = await withSource(patterned(8 * 4 * MiB));
    const tiny = await tinyDir(path.join(root, 'tiny'), 10 * 1024);
    if (!tiny) {
      await source.close();
      return t.skip('cannot mount a small file system here');
    }
    try {
      await assert.rejects(copyToTempFile(source, sourcePath, path.join(tiny.path, '.tmp-copy')), assertCode('DESTINATION_FULL'));
      assert.deepEqual(await readdir(tiny.path), []);
    } finally {
      await source.close();
      await tiny.release();
    }
  });
});
