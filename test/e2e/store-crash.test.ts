import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bus } from '../../src/bus/bus.ts';
import { sequentialIds } from '../../src/ids/ids.ts';
import { StoreClient } from '../../src/store/store-client.ts';
import { LowdbStore } from '../../adapters/store/lowdb-store.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { TSX } from '../helpers/safekeep-process.ts';

const CHILD = fileURLToPath(new URL('./children/store-write-burst.ts', import.meta.url));

/** Runs the write burst until `acks` writes are acknowledged, then kills it with SIGKILL mid-burst. */
async function burstThenKill(dataDir: string, acks: number): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', TSX, CHILD, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acked: string[] = [];
  let buffered = '';
  await new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`the burst exited by itself (${code})`)));
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      buffered += text;
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('acked ')) acked.push(line.slice(6));
      if (acked.length >= acks) resolve();
    });
  });
  child.removeAllListeners('exit');
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  // Lines already in the pipe when it died were acknowledged too.
  return acked;
}

describe('the store under kill -9', () => {
  it('loses no acknowledged write and leaves every file parseable', async () => {
    const dataDir = await tempDir('store-crash');
    const acked = await burstThenKill(dataDir, 600);

    const collectionDir = path.join(dataDir, 'store', 'burst');
    for (const name of await readdir(collectionDir)) {
      if (!name.endsWith('.json')) continue;
      const text = await readFile(path.join(collectionDir, name), 'utf8');
      assert.doesNotThrow(() => JSON.parse(text), `${name} is not parseable after the crash`);
    }

    const bus = new Bus();
    const store = new LowdbStore({ dataDir, ids: sequentialIds() });
    await store.start(bus);
    const client = new StoreClient(bus, sequentialIds());
    const stored = await client.list<{ key: string }>('burst');
    const missing = acked.filter((key) => stored[key]?.key !== key);
    assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged writes were lost`);
    assert.ok(!(await readdir(collectionDir)).some((name) => name.includes('.safekeep-tmp')), 'temp files were cleaned on restart');
    client.dispose();
    await store.stop();
  });
});
