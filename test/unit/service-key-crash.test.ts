import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadServiceKey } from '../../src/book/service-key.ts';
import { seededRandom } from '../../src/random/random.ts';
import { startTestHost } from '../helpers/host-harness.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const random = seededRandom('service-key-crash');

async function keysDir(): Promise<{ dataDir: string; keys: string }> {
  const dataDir = await tempDir('service-key-crash');
  const keys = path.join(dataDir, 'keys');
  await mkdir(keys, { mode: 0o700 });
  return { dataDir, keys };
}

describe('the service key after a crash', () => {
  it('replaces a 0-byte key left by a start killed between creating and writing it, and says so', async () => {
    const { dataDir, keys } = await keysDir();
    await writeFile(path.join(keys, 'service.key'), '', { mode: 0o600 });
    const notes: string[] = [];
    const key = await loadServiceKey(dataDir, random, { onNote: (note) => notes.push(note) });
    assert.equal(key.length, 32);
    assert.deepEqual(await readFile(path.join(keys, 'service.key')), key);
    assert.equal((await stat(path.join(keys, 'service.key'))).mode & 0o777, 0o600);
    assert.equal(notes.length, 1);
    assert.match(notes[0] ?? '', /empty/);
    // Stable from then on.
    assert.deepEqual(await loadServiceKey(dataDir, seededRandom('other')), key);
  });

  it('still refuses a key of another non-zero wrong size, and leaves it as it is', async () => {
    const { dataDir, keys } = await keysDir();
    await writeFile(path.join(keys, 'service.key'), Buffer.alloc(31, 1));
    await assert.rejects(loadServiceKey(dataDir, random), { code: 'SERVICE_KEY_INVALID' });
    assert.equal((await readFile(path.join(keys, 'service.key'))).length, 31);
  });

  it('removes temp files of an interrupted key write at start', async () => {
    const { dataDir, keys } = await keysDir();
    await writeFile(path.join(keys, 'service.key.123.safekeep-tmp'), Buffer.alloc(7));
    await writeFile(path.join(keys, 'service.key.9.safekeep-tmp'), Buffer.alloc(32));
    const key = await loadServiceKey(dataDir, random);
    assert.deepEqual((await readdir(keys)).sort(), ['service.key']);
    assert.equal(key.length, 32);
  });

  it('never shows the key under its final name before it is whole (written to a temp file, then renamed)', async () => {
    const { dataDir, keys } = await keysDir();
    // A temp file with the name this process would use must not block the start: it is a leftover.
    await writeFile(path.join(keys, `service.key.new.safekeep-tmp`), '');
    const key = await loadServiceKey(dataDir, random);
    assert.deepEqual(await readFile(path.join(keys, 'service.key')), key);
    assert.deepEqual(await readdir(keys), ['service.key']);
  });

});

describe('a host started over an empty service key', () => {
  it('starts, makes a new key and logs the repair on the console', async () => {
    const { dataDir, keys } = await keysDir();
    await writeFile(path.join(keys, 'service.key'), '');
    let logged = '';
    const out = new Writable({ write: (chunk: Buffer, _encoding, done) => ((logged += chunk.toString()), done()) });
    const { host } = await startTestHost(dataDir, { console: { out } });
    try {
      assert.equal((await readFile(path.join(keys, 'service.key'))).length, 32);
      assert.match(logged, /repaired: keys\/service\.key was empty/);
    } finally {
      await host.stop('test');
    }
  });
});
