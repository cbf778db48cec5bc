import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileMatches } from '../../src/backup/version.ts';
import { parseVersionFileName, versionFileName } from '../../src/backup/version-name.ts';
import { checkVersionRecord } from '../../src/backup/version-check.ts';
import { withDigest } from '../../src/integrity/record-digest.ts';
import type { HashedFile } from '../../src/backup/file-hash.ts';

const file = { size: 10, mtimeNs: '1795510800000000000', ino: '42' };

describe("revert's cheap fingerprint", () => {
  it('matches only the same size, mtime and inode', () => {
    assert.equal(fileMatches({ size: 10, file }, file), true);
    assert.equal(fileMatches({ size: 10, file }, { ...file, mtimeNs: '1795510800000000001' }), false);
    assert.equal(fileMatches({ size: 10, file }, { ...file, ino: '43' }), false);
    assert.equal(fileMatches({ size: 10, file }, { ...file, size: 11 }), false);
    assert.equal(fileMatches({ size: 10, file }, null), false, 'a missing file never matches');
  });

  it('checks only the size of a version catalogued before fingerprints', () => {
    assert.equal(fileMatches({ size: 10 }, { ...file, ino: '7' }), true);
    assert.equal(fileMatches({ size: 10 }, { ...file, size: 9 }), false);
  });
});

describe('version file names read back', () => {
  it('gives back the time and sequence a name was made with', () => {
    const at = Date.parse('2026-11-24T06:11:00.123Z');
    assert.deepEqual(parseVersionFileName('/x/notes.json', versionFileName('/x/notes.json', at, 42)), { createdAt: at, seq: 42 });
    assert.deepEqual(parseVersionFileName('/x/Makefile', versionFileName('/x/Makefile', at, 1)), { createdAt: at, seq: 1 });
  });

  for (const name of ['README.txt', 'notes.json', 'notes.2026-11-24T06-11-00-123Z.json', 'todo.2026-11-24T06-11-00-123Z.000001.json', 'notes.2026-13-99T06-11-00-123Z.000001.json']) {
    it(`is null for ${name}, which safekeep did not make for notes.json`, () => {
      assert.equal(parseVersionFileName('/x/notes.json', name), null);
    });
  }
});

describe('checkVersionRecord (what an offline check needs)', () => {
  const version = { id: 'n@1', jobId: 'n', seq: 1, path: '/b/n/1', size: 3, sha256: 'a'.repeat(64), createdAt: 0, source: { size: 3, mtimeNs: '0', ctimeNs: '0', ino: '1', dev: '1' } };
  const files = (result: HashedFile) => ({ hashFile: async () => result, checkSnapshot: () => Promise.reject(new Error('a file version is not a snapshot')) });
  const hashed = (sha256: string): HashedFile => ({ kind: 'hashed', size: 3, sha256, fingerprint: version.source, stable: true });

  it('is intact when the record passes its digest and the file hashes as recorded', async () => {
    assert.equal((await checkVersionRecord('n@1', withDigest(version), files(hashed(version.sha256)))).damaged, false);
    assert.equal((await checkVersionRecord('n@1', version, files(hashed(version.sha256)))).damaged, false, 'records older than digests are accepted');
  });

  it('names the reason otherwise', async () => {
    assert.equal((await checkVersionRecord('n@1', withDigest(version), files(hashed('b'.repeat(64))))).reason, 'content-mismatch');
    assert.equal((await checkVersionRecord('n@1', withDigest(version), files({ kind: 'missing' }))).reason, 'missing');
    assert.equal((await checkVersionRecord('n@1', withDigest(version), files({ kind: 'unreadable', code: 'EACCES' }))).reason, 'unreadable');
    const tampered = { ...withDigest(version), sha256: 'b'.repeat(64) };
    assert.deepEqual(await checkVersionRecord('n@1', tampered, files(hashed('b'.repeat(64)))), {
      versionId: 'n@1', jobId: 'n', path: '/b/n/1', expectedSha256: null, actualSha256: null, damaged: true, reason: 'record-damaged',
    });
    assert.equal((await checkVersionRecord('n@1', 'not a record', files(hashed('x')))).reason, 'record-damaged');
  });
});
