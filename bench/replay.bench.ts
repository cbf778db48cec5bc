import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { readRecording } from '../src/replay/read-recording.ts';
import { readRecordedLines } from '../src/replay/recorded-lines.ts';
import { replayRecording } from '../src/replay/replay.ts';
import { recordPipelinedSession } from './pipelined-session-recording.ts';

/**
 * Replay speed, in recorded steps per second (bar: ≥ 100,000 on a busy
 * recording), for each recording in test/recordings and for a pipelined
 * session recorded here and now: a few text and JSON clients over the socket,
 * 8 requests in each write (`recordPipelinedSession`). That one is the bar's
 * case: its steps are what a loaded host records, and it is long enough that
 * starting the replay's host (a fixed cost, printed apart) does not dominate.
 *
 * Each figure is the median of alternating runs. Beside the wall-clock rate
 * stands the rate by the process's CPU time, which other work on a shared
 * machine disturbs less; and reading the file alone, the part of a replay
 * that does not run the host. The hour of backups keeps its old line: its
 * ratio to the real hour it records.
 *
 * Usage: node --import tsx bench/replay.bench.ts [runs] [pipelined rounds]
 */
const RUNS = Number(process.argv[2] ?? 7);
const ROUNDS = Number(process.argv[3] ?? 100);
const BAR_STEPS_PER_S = 100_000;
const RECORDINGS = fileURLToPath(new URL('../test/recordings/', import.meta.url));

interface Case {
  readonly name: string;
  readonly text: string;
  /** Whether the bar applies (a busy recording), or the row is for information. */
  readonly barred: boolean;
}

interface Timing {
  readonly wallMs: number;
  readonly cpuMs: number;
}

async function timeReplay(text: string): Promise<Timing> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await replayRecording(text);
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  if (result.divergence) throw new Error(`the replay diverged at step ${result.divergence.seq}: ${result.divergence.reason}`);
  return { wallMs, cpuMs: (used.user + used.system) / 1_000 };
}

/** Reading the file as a replay reads it (outputs left unparsed until needed). */
function timeParse(text: string): number {
  const started = performance.now();
  readRecordedLines(text);
  return performance.now() - started;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** The recording up to the host's `host.started` step: replaying it costs what starting the replay's host costs. */
function upToHostStarted(text: string): string {
  const lines = text.split('\n');
  const started = lines.findIndex((line) => line.includes('"name":"host.started"'));
  return `${lines.slice(0, started + 1).join('\n')}\n`;
}

const cases: Case[] = [];
for (const file of (await readdir(RECORDINGS)).filter((name) => name.endsWith('.ndjson')).sort()) {
  cases.push({ name: file, text: await readFile(`${RECORDINGS}${file}`, 'utf8'), barred: false });
}
const recordingStarted = performance.now();
const pipelined = await recordPipelinedSession({ rounds: ROUNDS, textClients: 3, jsonClients: 1 });
const recordingMs = performance.now() - recordingStarted;
cases.push({ name: `pipelined session (3 text + 1 JSON clients × ${ROUNDS} rounds × 8)`, text: pipelined, barred: true });
const hostStart = { name: 'starting the replay\'s host (steps up to host.started)', text: upToHostStarted(pipelined), barred: false };

for (const { text } of [...cases, hostStart]) await timeReplay(text); // warm-up: module loading and JIT
const timings = new Map<string, { wall: number[]; cpu: number[]; parse: number[] }>();
for (let run = 0; run < RUNS; run++) {
  for (const { name, text } of [...cases, hostStart]) {
    const timing = await timeReplay(text);
    const entry = timings.get(name) ?? { wall: [], cpu: [], parse: [] };
    entry.wall.push(timing.wallMs);
    entry.cpu.push(timing.cpuMs);
    entry.parse.push(timeParse(text));
    timings.set(name, entry);
  }
}

const rate = (steps: number, ms: number) => Math.round((steps / ms) * 1_000);
const fixed = timings.get(hostStart.name) as { wall: number[] };
console.log(`replay speed, median of ${RUNS} alternating runs (${new Date().toISOString().slice(0, 10)}, node --import tsx bench/replay.bench.ts ${RUNS} ${ROUNDS})`);
console.log('');
console.log('| recording | steps | reading the file alone | replay | steps/s | steps/s by CPU time | bar | holds? |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const { name, text, barred } of cases) {
  const steps = readRecording(text).steps.length;
  const { wall, cpu, parse } = timings.get(name) as { wall: number[]; cpu: number[]; parse: number[] };
  const perSecond = rate(steps, median(wall));
  const bar = barred ? `≥ ${BAR_STEPS_PER_S.toLocaleString('en')}` : '—';
  const holds = barred ? (perSecond >= BAR_STEPS_PER_S ? 'yes' : `no (${(perSecond / BAR_STEPS_PER_S).toFixed(2)}×)`) : '—';
  console.log(
    `| ${name} | ${steps} | ${median(parse).toFixed(1)} ms | ${median(wall).toFixed(1)} ms | ${perSecond.toLocaleString('en')} | ${rate(steps, median(cpu)).toLocaleString('en')} | ${bar} | ${holds} |`,
  );
}
console.log('');
console.log(`Each replay first starts a host: ${median(fixed.wall).toFixed(1)} ms of the times above. The pipelined session took ${(recordingMs / 1_000).toFixed(1)} s to record.`);

const hour = cases.find(({ name }) => name === 'hour-of-backups.ndjson');
if (hour) {
  const recording = readRecording(hour.text);
  const span = (recording.steps.at(-1)?.step.time ?? 0) - recording.header.startedAt;
  const replayMs = median((timings.get(hour.name) as { wall: number[] }).wall);
  console.log(`The hour of backups: ${(span / 60_000).toFixed(0)} minutes of host time replayed in ${replayMs.toFixed(1)} ms, 1/${Math.round(span / replayMs)} of real time.`);
}
