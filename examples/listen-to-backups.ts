/**
 * Listening to backup events: typed RxJS streams off the bus, here every
 * `backup.completed` of one job and every failure of any job. Run:
 * `npm run example -- examples/listen-to-backups.ts`.
 */
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { firstValueFrom, map, take, toArray } from 'rxjs';
import { startHost } from 'safekeep';

const workDir = await mkdtemp(path.join(tmpdir(), 'safekeep-example-'));
const notes = path.join(workDir, 'notes.txt');
await writeFile(notes, 'first draft\n');

// Requests (addJob among them) may name paths only under allowedPaths.
const host = await startHost({ dataDir: path.join(workDir, 'data'), socket: false, allowedPaths: [workDir] });
const job = await host.addJob({ sourcePath: notes, intervalMs: 24 * 60 * 60_000 });

// `where$` is typed from the event map: `event` is a BackupCompleted, and a misspelt name would not compile.
const threeVersions = firstValueFrom(
  host.bus.where$('backup.completed', (event) => event.jobId === job.id && event.kind === 'copied').pipe(
    map((event) => `version ${event.version.seq}: ${event.version.size} bytes, sha256 ${event.version.sha256.slice(0, 12)}…`),
    take(3),
    toArray(),
  ),
);
const failures = host.bus.on$('backup.failed').subscribe((event) => console.log(`backup of ${event.jobId} failed: ${event.error.code}`));

await host.runBackup(job.id); // addJob already started one; this waits for a run of its own
await writeFile(notes, 'second draft\n');
await host.runBackup(job.id);
await writeFile(notes, 'third draft, longer\n');
await host.runBackup(job.id);
for (const line of await threeVersions) console.log(line);

// A failure is an event too (and the request says why).
await unlink(notes);
await host.runBackup(job.id).catch((error: Error & { code: string }) => console.log(`runBackup rejected: ${error.code}`));

failures.unsubscribe();
await host.stop();
await rm(workDir, { recursive: true, force: true });
