import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { open, readFile, writeFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { copyAndHash } from '../../src/fs/copy-and-hash.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** A real file handle whose writes take at most `limit` bytes each, as the OS may when a write is interrupted. */
function shortWrites(handle: FileHandle, limit: number): Pick<FileHandle, 'write'> {
  return {
    write: ((buffer: Buffer, offset: number, length: number, position: number) => handle.write(buffer, offset, Math.min(length, limit), position)) as FileHandle['write'],
  };
}

describe('copyAndHash', () => {
  it('loops on short writes, so the copy is whole and its hash is the source\'s', async () => {
    const root = await tempDir('copy-and-hash');
    const bytes = Buffer.from(Array.from({ length: 10_000 }, (_, index) => index % 251));
    await writeFile(path.join(root, 'from'), bytes);
    const source = await open(path.join(root, 'from'), 'r');
    const target = await open(path.join(root, 'to'), 'wx');
    try {
      // A small buffer too, so the copy spans several reads, each written in several pieces.
      const copied = await copyAndHash(source, shortWrites(target, 777), Buffer.alloc(4096));
      assert.deepEqual(copied, { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    } finally {
      await source.close();
      await target.close();
    }
    assert.deepEqual(await readFile(path.join(root, 'to')), bytes);
  });

  it('copies an empty file as empty', async () => {
    const root = await tempDir('copy-and-hash-empty');
    await writeFile(path.join(root, 'from'), '');
    const source = await open(path.join(root, 'from'), 'r');
    const target = await open(path.join(root, 'to'), 'wx');
    try {
      assert.deepEqual(await copyAndHash(source, target), { size: 0, sha256: createHash('sha256').digest('hex') });
    } finally {
      await source.close();
      await target.close();
    }
  });
});
