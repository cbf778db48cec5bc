/**
 * Recording a run and replaying it: the same inputs must lead to the same
 * decisions, or the replay names the first step that differs. Here the app
 * records a short session through the API, replays it, then replays a copy
 * with one decision altered. Run: `npm run example -- examples/record-and-replay.ts`.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { replayRecording, Secret, startHost } from 'safekeep';

const workDir = await mkdtemp(path.join(tmpdir(), 'safekeep-example-'));
const source = path.join(workDir, 'plan.txt');
const recording = path.join(workDir, 'run.ndjson');
await writeFile(source, 'step one\n');

const host = await startHost({ dataDir: path.join(workDir, 'data'), socket: false, jobs: [{ sourcePath: source, intervalMs: 60_000 }], record: recording });
await host.request('backup.run', {});
await host.request('user.register', { username: 'ann', masterPassword: new Secret('correct horse battery') });
await host.request('session.login', { username: 'ann', masterPassword: new Secret('correct horse battery') });
await host.stop(); // closes the recording

const text = await readFile(recording, 'utf8');
console.log(`recorded ${text.trim().split('\n').length - 2} steps; the password appears in it: ${text.includes('correct horse')}`);

const same = await replayRecording(text);
console.log(`replay: ${same.divergence ? `diverged at step ${same.divergence.seq}` : `${same.matched} of ${same.steps} steps identical`}`);

// Pretend the recorded run had decided differently: the first backup found the file unchanged.
const altered = text.replace(/("name":"backup\.completed".*?)"kind":"copied"/, '$1"kind":"unchanged"');
const different = await replayRecording(altered);
console.log(`altered replay: diverged at step ${different.divergence?.seq} (${different.divergence?.reason})`);

await rm(workDir, { recursive: true, force: true });
