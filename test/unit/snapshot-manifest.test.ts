import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { decodeManifest, encodeManifest, isSafeRelativePath, type SnapshotManifest } from '../../src/backup/snapshot-manifest.ts';
import { comparePaths } from '../../src/backup/snapshot-source.ts';

const manifest: SnapshotManifest = {
  format: 1,
  sourcePath: '/home/me/site',
  excludes: ['*.log'],
  root: { mode: 0o755, mtimeNs: '1' },
  entries: [
    { type: 'directory', path: 'a', mode: 0o755, mtimeNs: '2' },
    { type: 'file', path: 'a/b.txt', mode: 0o644, mtimeNs: '3', size: 1, sha256: 'f'.repeat(64), source: { mtimeNs: '3', ctimeNs: '4', ino: '5', dev: '6' } },
    { type: 'symlink', path: 'c', mode: 0o777, mtimeNs: '7', target: '../../etc' },
  ],
  skipped: [{ path: 'app.sock', kind: 'socket' }],
};

describe('snapshot manifests', () => {
  it('read back as they were written, and their SHA-256 is of the stored bytes', () => {
    const { bytes, sha256 } = encodeManifest(manifest);
    assert.deepEqual(decodeManifest(bytes), manifest);
    assert.equal(sha256.length, 64);
  });

  const malformed: [string, Buffer][] = [
    ['not gzip', Buffer.from('{"format":1}')],
    ['gzip of not JSON', gzipSync('nope')],
    ['another format', gzipSync(JSON.stringify({ ...manifest, format: 2 }))],
    ['no root', gzipSync(JSON.stringify({ ...manifest, root: undefined }))],
    ['an entry of an unknown type', gzipSync(JSON.stringify({ ...manifest, entries: [{ type: 'fifo', path: 'x', mode: 0, mtimeNs: '0' }] }))],
    ['a file without its hash', gzipSync(JSON.stringify({ ...manifest, entries: [{ type: 'file', path: 'x', mode: 0, mtimeNs: '0', size: 1 }] }))],
  ];
  for (const [what, bytes] of malformed) {
    it(`are refused when they are ${what}`, () => assert.equal(decodeManifest(bytes), null));
  }

  for (const path of ['../escape', 'a/../../escape', '/etc/passwd', '', '.', 'a//b', 'a/./b', 'nul\0byte']) {
    it(`refuse an entry path that could leave the snapshot: ${JSON.stringify(path)}`, () => {
      assert.equal(isSafeRelativePath(path), false);
      const bytes = gzipSync(JSON.stringify({ ...manifest, entries: [{ type: 'directory', path, mode: 0o755, mtimeNs: '0' }] }));
      assert.equal(decodeManifest(bytes), null);
    });
  }

  it('order entries so a folder comes right before what it holds', () => {
    assert.deepEqual(['a-c', 'a/b', 'a', 'B', 'a/b/c'].sort(comparePaths), ['B', 'a', 'a/b', 'a/b/c', 'a-c']);
  });
});
