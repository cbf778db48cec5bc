/**
 * Embedding safekeep in an app you already have: the app keeps its settings
 * in a JSON file and wants every saved version backed up, with no socket and
 * no second process. Run: `npm run example -- examples/embed-in-app.ts`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startHost } from 'safekeep';

const workDir = await mkdtemp(path.join(tmpdir(), 'safekeep-example-'));
const settingsFile = path.join(workDir, 'settings.json');
await writeFile(settingsFile, JSON.stringify({ theme: 'dark' }));

// The app's own data directory; `socket: false` keeps safekeep in-process only.
const host = await startHost({
  dataDir: path.join(workDir, 'safekeep-data'),
  jobs: [{ sourcePath: settingsFile, intervalMs: 60 * 60_000, keep: 5 }],
  socket: false,
});

// The app saves its settings, then asks for a backup right away rather than waiting for the hour.
async function saveSettings(settings: object): Promise<void> {
  await writeFile(settingsFile, JSON.stringify(settings));
  const { outcome, version } = await host.request('backup.run', { job: settingsFile });
  console.log(`settings saved; backup ${outcome}: version ${version.seq} at ${path.relative(workDir, version.path)}`);
}

await saveSettings({ theme: 'dark' }); // same bytes as the first backup the host took when it started
await saveSettings({ theme: 'light' }); // changed: a new version
await saveSettings({ theme: 'light' }); // same bytes: no new version
const { version } = await host.request('backup.revert', {});
console.log(`newest version to restore from: ${version ? path.relative(workDir, version.path) : 'none'}`);

// A graceful stop: running copies finish or are cleanly abandoned, the store is flushed and the data directory unlocked.
await host.stop();
await rm(workDir, { recursive: true, force: true });
