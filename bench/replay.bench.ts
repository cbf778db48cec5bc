import { readFile } from 'node:fs/promises';
import { readRecording } from '../src/replay/read-recording.ts';
import { replayRecording } from '../src/replay/replay.ts';

/**
 * Replay speed: test/recordings/hour-of-backups.ndjson holds an hour of host
 * time (a backup every minute, pruning to 5 versions). Replaying it runs on a
 * scripted clock, so it should take a small fraction of a second: the
 * baseline beside it is the hour itself, and reading the file alone.
 * Target: the hour in well under a second (ratio to real time under 1/3600).
 */
const RUNS = 5;
const text = await readFile(new URL('../test/recordings/hour-of-backups.ndjson', import.meta.url), 'utf8');
const recording = readRecording(text);
const span = (recording.steps.at(-1)?.step.time ?? 0) - recording.header.startedAt;

await replayRecording(text); // warm-up: module loading and JIT
let parseMs = Infinity;
let replayMs = Infinity;
for (let run = 0; run < RUNS; run++) {
  let started = performance.now();
  readRecording(text);
  parseMs = Math.min(parseMs, performance.now() - started);
  started = performance.now();
  const result = await replayRecording(text);
  replayMs = Math.min(replayMs, performance.now() - started);
  if (result.divergence) throw new Error(`the hour diverged at step ${result.divergence.seq}`);
}
console.log(`replay of ${(span / 60_000).toFixed(0)} minutes of recorded host time (${recording.steps.length} steps, best of ${RUNS})`);
console.log(`  recorded span                  ${(span / 1000).toFixed(0)} s`);
console.log(`  reading the file alone         ${parseMs.toFixed(1)} ms`);
console.log(`  replay                         ${replayMs.toFixed(1)} ms`);
console.log(`  ratio to real time             1/${Math.round(span / replayMs)} (${replayMs < 1000 ? 'under' : 'OVER'} a second)`);
