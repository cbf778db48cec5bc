import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startHost } from '../../src/index.ts';
const root = await mkdtemp(path.join(tmpdir(), 'sk-inproc-'));
await writeFile(path.join(root, 'notes.json'), '{}');
const host = await startHost({ dataDir: path.join(root, 'data'), jobs: [{ sourcePath: path.join(root, 'notes.json'), intervalMs: 3_600_000 }], socket: false } as never);
await host.runBackup();
for (const mode of ['seq', 'batch', 'seq', 'batch']) {
  const N = 200_000; const t = performance.now();
  if (mode === 'seq') for (let i = 0; i < N; i++) await host.request('backup.revert', {});
  else for (let i = 0; i < N; i += 100) await Promise.all(Array.from({ length: 100 }, () => host.request('backup.revert', {})));
  console.log(mode, Math.round(N / ((performance.now() - t) / 1000)), 'ops/s');
}
await host.stop();
