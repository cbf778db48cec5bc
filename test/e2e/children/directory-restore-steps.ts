// A safekeep host that does one thing and exits, for the kill-at-each-step test of directory restores:
//   backup                      one run of the directory job, printing `version ID`
//   restore VERSION [TARGET]    restores VERSION (to TARGET, allowed beside the source), printing `restored`
//   start                       starts (settling what a crash left) and stops
// Restore ids are predictable (`restore-1`), so strace can be told the exact temp folders to kill at.
// usage: directory-restore-steps DATA_DIR SOURCE ACTION [ARGS…]
import path from 'node:path';
import { startHost } from '../../../src/host/start-host.ts';
import { randomIds } from '../../../src/ids/ids.ts';

const [dataDir, source, action, ...rest] = process.argv.slice(2);
if (!dataDir || !source || !action) throw new Error('usage: directory-restore-steps DATA_DIR SOURCE ACTION [ARGS…]');

let restores = 0;
const host = await startHost({
  dataDir,
  jobs: [{ sourcePath: source, intervalMs: 86_400_000 }],
  allowedPaths: [path.dirname(source)],
  console: { out: process.stderr },
  ids: { next: (prefix) => (prefix === 'restore' ? `restore-${++restores}` : randomIds.next(prefix)) },
  verifyIntervalMs: 0,
});
if (action === 'backup') {
  const { version } = await host.request('backup.run', {});
  process.stdout.write(`version ${version?.id}\n`);
} else if (action === 'restore') {
  const [version, target] = rest;
  await host.request('backup.restore', { version: version ?? '', ...(target ? { target } : {}) });
  process.stdout.write('restored\n');
}
await host.stop('done');
