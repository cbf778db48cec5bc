import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readOnlyDir } from '../helpers/restricted-dir.ts';
import { spawnSafekeep } from '../helpers/safekeep-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const ONE_CODED_LINE = /^safekeep: Cannot use .* as the data directory \(E[A-Z]+\): .* \(code DATA_DIR_NOT_WRITABLE\)\n$/;

/** Starts safekeep on `dataDir`; a start that has not ended in 30 s is killed, and fails the test. */
async function start(dataDir: string): Promise<{ code: number | null; stderr: string }> {
  const child = spawnSafekeep(['--data-dir', dataDir, '--port', '0'], path.dirname(dataDir));
  const timer = setTimeout(() => void child.stop('SIGKILL'), 30_000);
  const exit = await child.exited;
  clearTimeout(timer);
  return { code: exit.code, stderr: child.stderr };
}

describe('a data directory the user cannot write', () => {
  it('stops the start with one coded line and exit 1 when it cannot be created (under /proc)', async () => {
    const started = await start('/proc/safekeep-x');
    assert.equal(started.code, 1);
    assert.match(started.stderr, ONE_CODED_LINE);
    assert.doesNotMatch(started.stderr, /\n\s+at /);
  });

  it('stops the start with one coded line and exit 1 when it is on a read-only file system', async (t) => {
    const dir = await readOnlyDir(path.join(await tempDir('data-dir-ro'), 'data'));
    if (!dir) return t.skip('cannot make a read-only directory here (mounting a tmpfs failed)');
    try {
      const started = await start(dir.path);
      assert.equal(started.code, 1);
      assert.match(started.stderr, ONE_CODED_LINE);
    } finally {
      await dir.release();
    }
  });
});
