import { rmSync } from 'node:fs';
import path from 'node:path';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { run } from '../test/helpers/safekeep-process.ts';
import { alternatingRounds, type Contender, type LoadShape, type RoundTiming, type WireFigures } from './alternating-rounds.ts';
import { barTable, holds, markdownTable, percent, rate, wire, type BarRow } from './bar-table.ts';
import { rssPerIdleConnection } from './idle-connection-rss.ts';
import { ListeningProcess } from './listening-process.ts';
import { profileUnderLoad } from './profile-under-load.ts';
import { startupRounds } from './startup-rounds.ts';
import { REPO, TEXT_REQUEST, WireRig } from './wire-rig.ts';

/**
 * Wire speed: every bar of issue 12, each as safekeep beside its baseline in
 * the same run, printed as the README's "Performance" table.
 * - text `revert\n` and JSON `{"message": "number_of_users"}` in three shapes
 *   (1 connection × 1 in flight; 8 connections × 8 pipelined; 64 × 1) against
 *   bare node:net servers giving the same reply bytes (bench/bare-net-server.ts,
 *   bench/bare-json-server.ts); bar ≥ 0.8;
 * - in-process `host.request` against Moleculer's local `broker.call`
 *   (bench/in-process-calls.ts); bar ≥ 0.5;
 * - RSS per idle connection after one request; bar ≤ 16 KiB;
 * - spawn to listening, `dist` against the bare server on plain node; bar ≤ 2×;
 * - `--record` on against off, text 8 × 8; bar: cost ≤ 1.2×;
 * - what an operator turns on (`--http`: /metrics counting every request; the
 *   log at info) against neither, text and JSON 8 × 8; no bar, shown.
 * Servers run as child processes (safekeep from `dist`, baselines compiled to
 * plain JavaScript), driven by one load generator in a child of its own (two
 * cores: a server and the load); rounds alternate and medians are reported.
 * `npm run bench` builds `dist` first; run by hand, `npm run build` first.
 * Options: --rounds N, --round-ms MS, --only text,json,record,operations,rss,startup,in-process
 * (default all; `--only ''` with --cpu-prof profiles alone), --cpu-prof (also profile
 * safekeep under text and JSON 8 × 8 load).
 */
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    'round-ms': { type: 'string', default: '1000' },
    'warm-up-ms': { type: 'string', default: '300' },
    'rss-connections': { type: 'string', default: '1000' },
    'startup-runs': { type: 'string', default: '7' },
    only: { type: 'string', default: 'text,json,record,operations,rss,startup,in-process' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});
const TIMING: RoundTiming = { rounds: Number(args.rounds), roundMs: Number(args['round-ms']), warmUpMs: Number(args['warm-up-ms']) };
const PARTS = ['text', 'json', 'record', 'operations', 'rss', 'startup', 'in-process'] as const;
const ONLY = new Set(args.only.split(',').filter((part) => part !== ''));
for (const part of ONLY) if (!(PARTS as readonly string[]).includes(part)) throw new Error(`--only takes ${PARTS.join(',')}; not ${part}`);
const JSON_REQUEST = '{"message": "number_of_users"}\n';
const JSON_REPLY = '{"message": "return_number_of_users", "number_of_users": 0}';
const SHAPES: readonly (Omit<LoadShape, 'request'> & { readonly name: string })[] = [
  { name: '1 connection × 1 in flight', connections: 1, depth: 1 },
  { name: '8 connections × 8 pipelined', connections: 8, depth: 8 },
  { name: '64 connections × 1 in flight', connections: 64, depth: 1 },
];

const rows: BarRow[] = [];
/** Where the cores went in each wire row: the server's share of a core, and the load generator's. */
const cores: string[][] = [];

// However the bench ends (a failure, Ctrl-C), no server outlives it: 'exit' handlers run on process.exit too.
process.on('exit', () => ListeningProcess.killAll());
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

function coreLine(pathName: string, ours: WireFigures, theirs: WireFigures): string[] {
  return [
    pathName,
    `${percent(ours.serverCpu)}, ${ours.serverCpuUsPerReply.toFixed(0)} µs`,
    `${percent(theirs.serverCpu)}, ${theirs.serverCpuUsPerReply.toFixed(0)} µs`,
    (theirs.serverCpuUsPerReply / ours.serverCpuUsPerReply).toFixed(2),
    `${percent(ours.generatorCpu)} / ${percent(theirs.generatorCpu)}`,
  ];
}

function contender(server: ListeningProcess, expectedReply: string): Contender {
  return { port: server.port, pid: server.pid, expectedReply };
}

async function dialects(rig: WireRig, safekeep: ListeningProcess, revertPath: string): Promise<void> {
  const dialectsToRun = [
    { on: ONLY.has('text'), name: 'text `revert`', request: TEXT_REQUEST, reply: revertPath, script: rig.bareTextServer, baseline: 'bare node:net' },
    { on: ONLY.has('json'), name: 'JSON `number_of_users`', request: JSON_REQUEST, reply: JSON_REPLY, script: rig.bareJsonServer, baseline: 'bare JSON' },
  ];
  for (const dialect of dialectsToRun.filter((candidate) => candidate.on)) {
    const bare = await rig.bare(dialect.script, dialect.reply);
    try {
      for (const shape of SHAPES) {
        const [ours, theirs] = await alternatingRounds(rig.generator, [contender(safekeep, dialect.reply), contender(bare, dialect.reply)], { request: dialect.request, ...shape }, TIMING);
        const ratio = ours.requestsPerSecond / theirs.requestsPerSecond;
        const pathName = `${dialect.name}, ${shape.name}`;
        rows.push({ path: pathName, safekeep: wire(ours), baseline: `${dialect.baseline} ${wire(theirs)}`, ratio: ratio.toFixed(2), bar: '≥ 0.8', holds: holds(ratio >= 0.8) });
        cores.push(coreLine(pathName, ours, theirs));
      }
    } finally {
      await bare.stop();
    }
  }
}

/** `--record` on against off, each a fresh safekeep started together, so that neither has served more than the other. */
async function recording(rig: WireRig): Promise<void> {
  const recordFile = path.join(rig.root, 'bench-recording.ndjson');
  const [recorder, live] = await Promise.all([rig.servingSafekeep(['--record', recordFile]), rig.servingSafekeep()]);
  try {
    const shape = { request: TEXT_REQUEST, connections: 8, depth: 8 };
    const [recorded, unrecorded] = await alternatingRounds(
      rig.generator,
      [contender(recorder.server, recorder.revertPath), contender(live.server, live.revertPath)],
      shape,
      TIMING,
    );
    const ratio = recorded.requestsPerSecond / unrecorded.requestsPerSecond;
    rows.push({
      path: 'recording on (`--record FILE`), text 8 × 8',
      safekeep: wire(recorded),
      baseline: `the same without --record ${wire(unrecorded)}`,
      ratio: ratio.toFixed(2),
      bar: '≥ 0.83 (cost ≤ 1.2×)',
      holds: holds(ratio >= 1 / 1.2),
    });
    cores.push(coreLine('recording on, text 8 × 8 (baseline: without --record)', recorded, unrecorded));
  } finally {
    await Promise.all([recorder.server.stop(), live.server.stop()]);
  }
}

/**
 * What operating it costs a request: a service with `--http` (its metrics
 * count every request and time it) and a JSON log at info, against one with
 * neither, started together. No bar in the issue; the ratio is shown.
 */
async function operations(rig: WireRig): Promise<void> {
  // The log as JSON lines on stderr (the rig reads the first backup's line there), not pretty ones.
  const operated = ['--http', '127.0.0.1:0', '--log-format', 'json'];
  const [watched, plain] = await Promise.all([rig.servingSafekeep(operated), rig.servingSafekeep()]);
  try {
    for (const [name, request] of [['text 8 × 8', TEXT_REQUEST], ['JSON 8 × 8', JSON_REQUEST]] as const) {
      const shape = { request, connections: 8, depth: 8 };
      const [on, off] = await alternatingRounds(
        rig.generator,
        [contender(watched.server, request === TEXT_REQUEST ? watched.revertPath : JSON_REPLY), contender(plain.server, request === TEXT_REQUEST ? plain.revertPath : JSON_REPLY)],
        shape,
        TIMING,
      );
      rows.push({
        path: `metrics and log on (\`--http\`, JSON log at info), ${name}`,
        safekeep: wire(on),
        baseline: `the same without them ${wire(off)}`,
        ratio: (on.requestsPerSecond / off.requestsPerSecond).toFixed(2),
        bar: 'none (shown)',
        holds: '—',
      });
      cores.push(coreLine(`metrics and log on, ${name} (baseline: without them)`, on, off));
    }
  } finally {
    await Promise.all([watched.server.stop(), plain.server.stop()]);
  }
}

async function idleConnections(rig: WireRig, revertPath: string): Promise<void> {
  const connections = Number(args['rss-connections']);
  const gcFlags = ['--expose-gc', '--import', rig.gcPreload];
  const bare = await rig.bare(rig.bareTextServer, revertPath, gcFlags);
  let bareKiB: number;
  try {
    bareKiB = await rssPerIdleConnection(rig.generator, bare, TEXT_REQUEST, connections);
  } finally {
    await bare.stop();
  }
  const { server } = await rig.servingSafekeep([], gcFlags);
  try {
    const oursKiB = await rssPerIdleConnection(rig.generator, server, TEXT_REQUEST, connections);
    rows.push({
      path: `RSS per idle connection after one request (${connections} connections, after a full GC)`,
      safekeep: `${oursKiB.toFixed(1)} KiB`,
      baseline: `bare node:net ${bareKiB.toFixed(1)} KiB`,
      ratio: `${(oursKiB / bareKiB).toFixed(1)}×`,
      bar: '≤ 16 KiB',
      holds: holds(oursKiB <= 16),
    });
  } finally {
    await server.stop();
  }
}

async function startup(rig: WireRig, revertPath: string): Promise<void> {
  const runs = Number(args['startup-runs']);
  const root = await rig.newRoot();
  const [oursMs, bareMs] = await startupRounds(
    [() => rig.safekeep(root, ['--source', 'notes.json', '--port', '0']), () => new ListeningProcess(process.execPath, [rig.bareTextServer, revertPath], root)],
    runs,
  );
  const ratio = (oursMs as number) / (bareMs as number);
  rows.push({
    path: `startup to listening, \`node dist/src/cli/main.js --source F --port 0\` (median of ${runs})`,
    safekeep: `${(oursMs as number).toFixed(0)} ms`,
    baseline: `bare server on plain node ${(bareMs as number).toFixed(0)} ms`,
    ratio: `${ratio.toFixed(1)}×`,
    bar: '≤ 2×',
    holds: holds(ratio <= 2),
  });
  const npmRuns = 3;
  let npmStarts = 0;
  const [npmMs] = await startupRounds(
    [() => new ListeningProcess('npm', ['start', '--', '--source', path.join(root, 'notes.json'), '--port', '0', '--data-dir', path.join(root, `npm-data-${npmStarts++}`)], REPO)],
    npmRuns,
  );
  rows.push({ path: `startup to listening, \`npm start -- --source F --port 0\` (median of ${npmRuns})`, safekeep: `${(npmMs as number).toFixed(0)} ms`, baseline: '—', ratio: '—', bar: 'informational', holds: '—' });
}

async function inProcess(): Promise<void> {
  const child = await run(process.execPath, ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('./in-process-calls.ts', import.meta.url)), '--rounds', String(TIMING.rounds)], { cwd: REPO });
  if (child.code !== 0) throw new Error(`bench/in-process-calls.ts failed:\n${child.stderr}`);
  const figures = JSON.parse(child.stdout.trim().split('\n').at(-1) as string) as {
    moleculerVersion: string;
    batch: number;
    safekeepSequential: number;
    moleculerSequential: number;
    safekeepBatched: number;
    moleculerBatched: number;
  };
  const sequential = figures.safekeepSequential / figures.moleculerSequential;
  const batched = figures.safekeepBatched / figures.moleculerBatched;
  const moleculer = `Moleculer ${figures.moleculerVersion} local \`broker.call\``;
  rows.push({
    path: "in-process `host.request('backup.revert', {})`, sequential awaits",
    safekeep: `${rate(figures.safekeepSequential)} ops/s`,
    baseline: `${moleculer} ${rate(figures.moleculerSequential)} ops/s`,
    ratio: sequential.toFixed(3),
    bar: '≥ 0.5',
    holds: holds(sequential >= 0.5),
  });
  rows.push({
    path: `in-process, batches of ${figures.batch} concurrent calls`,
    safekeep: `${rate(figures.safekeepBatched)} ops/s`,
    baseline: `${moleculer} ${rate(figures.moleculerBatched)} ops/s`,
    ratio: batched.toFixed(3),
    bar: 'informational',
    holds: '—',
  });
}

async function main(): Promise<void> {
  const started = performance.now();
  const rig = await WireRig.open();
  process.on('exit', () => rmSync(rig.root, { recursive: true, force: true }));
  let safekeep: ListeningProcess | undefined;
  try {
    const serving = await rig.servingSafekeep();
    safekeep = serving.server;
    await dialects(rig, safekeep, serving.revertPath);
    await safekeep.stop();
    if (ONLY.has('record')) await recording(rig);
    if (ONLY.has('operations')) await operations(rig);
    if (ONLY.has('rss')) await idleConnections(rig, serving.revertPath);
    if (ONLY.has('startup')) await startup(rig, serving.revertPath);
    if (ONLY.has('in-process')) await inProcess();
    const profileLines = args['cpu-prof'] ? await profileUnderLoad(rig, JSON_REQUEST) : [];

    const date = new Date().toISOString().slice(0, 10);
    const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
    const lines = [
      `Measured ${date} on ${cpus().length} cores (${cpu}), Node ${process.version}, with \`npm run bench\` (bench/wire-speed.bench.ts): medians of ${TIMING.rounds} alternating rounds of ${TIMING.roundMs / 1000} s; safekeep from \`dist\`, the load generator in a process of its own.`,
      '',
      ...barTable(rows),
    ];
    if (cores.length > 0) {
      lines.push(
        '',
        'Where the cores went: each server\'s share of one core over its rounds and its CPU time per reply; their ratio (baseline / safekeep) is the cost ratio whatever share of the machine each got; a load generator near 100% would be setting the pace itself.',
        '',
      );
      lines.push(...markdownTable(['path', 'safekeep CPU, per reply', 'baseline CPU, per reply', 'CPU per reply ratio', 'load generator CPU (safekeep / baseline rounds)'], cores));
    }
    lines.push(...profileLines, '', `(wire-speed bench: ${((performance.now() - started) / 1000).toFixed(0)} s)`);
    console.log(lines.join('\n'));
  } finally {
    await safekeep?.stop();
    await rig.close();
  }
}

await main();
