import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { run } from '../test/helpers/safekeep-process.ts';
import { alternatingRounds, type Contender, type LoadShape, type RoundTiming, type WireFigures } from './alternating-rounds.ts';
import { compileBenchScript } from './compile-bench-script.ts';
import { selfTimeByOrigin, topSelfTimes } from './cpu-profile-top.ts';
import { rssPerIdleConnection } from './idle-connection-rss.ts';
import { LineClient } from './line-client.ts';
import { ListeningProcess } from './listening-process.ts';
import { LoadGeneratorProcess } from './load-generator-process.ts';
import { startupRounds } from './startup-rounds.ts';

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
 * - `--record` on against off, text 8 × 8; bar: cost ≤ 1.2×.
 * Servers run as child processes (safekeep from `dist`, baselines compiled to
 * plain JavaScript), driven by one load generator in a child of its own (two
 * cores: a server and the load); rounds alternate and medians are reported.
 * `npm run bench` builds `dist` first; run by hand, `npm run build` first.
 * Options: --rounds N, --round-ms MS, --only text,json,record,rss,startup,in-process
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
    only: { type: 'string', default: 'text,json,record,rss,startup,in-process' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});
const TIMING: RoundTiming = { rounds: Number(args.rounds), roundMs: Number(args['round-ms']), warmUpMs: Number(args['warm-up-ms']) };
const PARTS = ['text', 'json', 'record', 'rss', 'startup', 'in-process'] as const;
const ONLY = new Set(args.only.split(',').filter((part) => part !== ''));
for (const part of ONLY) if (!(PARTS as readonly string[]).includes(part)) throw new Error(`--only takes ${PARTS.join(',')}; not ${part}`);
const REPO = fileURLToPath(new URL('..', import.meta.url));
const DIST_MAIN = path.join(REPO, 'dist/src/cli/main.js');
const TEXT_REQUEST = 'revert\n';
const JSON_REQUEST = '{"message": "number_of_users"}\n';
const JSON_REPLY = '{"message": "return_number_of_users", "number_of_users": 0}';
/** Each server command line a bench run uses: the interval keeps the first backup the only one, and no scrub runs meanwhile. */
const SERVE_ARGS = ['--source', 'notes.json', '--interval', '1h', '--verify-interval', 'off', '--port', '0'];
const SHAPES: readonly (Omit<LoadShape, 'request'> & { readonly name: string })[] = [
  { name: '1 connection × 1 in flight', connections: 1, depth: 1 },
  { name: '8 connections × 8 pipelined', connections: 8, depth: 8 },
  { name: '64 connections × 1 in flight', connections: 64, depth: 1 },
];

interface Row {
  readonly path: string;
  readonly safekeep: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly bar: string;
  readonly holds: string;
}
const rows: Row[] = [];
const details: string[] = [];

process.on('exit', () => ListeningProcess.killAll());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    ListeningProcess.killAll();
    process.exit(130);
  });
}

function rate(perSecond: number): string {
  if (perSecond >= 1e6) return `${(perSecond / 1e6).toFixed(2)}M`;
  if (perSecond >= 1e3) return `${(perSecond / 1e3).toFixed(1)}k`;
  return perSecond.toFixed(0);
}

function wire(figures: WireFigures): string {
  const p50 = figures.p50Us < 1_000 ? `${figures.p50Us.toFixed(0)} µs` : `${(figures.p50Us / 1_000).toFixed(1)} ms`;
  return `${rate(figures.requestsPerSecond)} req/s, p50 ${p50}`;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(0)}%`;
}

function holds(ok: boolean): string {
  return ok ? 'yes' : '**no**';
}

class Bench {
  readonly generator = new LoadGeneratorProcess();
  #roots = 0;
  #dataDirs = 0;

  constructor(readonly root: string, readonly bareText: string, readonly bareJson: string, readonly gcPreload: string) {}

  /** A folder with the source file `notes.json`, where a safekeep runs. */
  async newRoot(): Promise<string> {
    const root = path.join(this.root, `run-${this.#roots++}`);
    await mkdir(root);
    await writeFile(path.join(root, 'notes.json'), '{"bench": true}');
    return root;
  }

  safekeep(root: string, args: readonly string[], nodeFlags: readonly string[] = []): ListeningProcess {
    return new ListeningProcess(process.execPath, [...nodeFlags, DIST_MAIN, ...args, '--data-dir', path.join(root, `data-${this.#dataDirs++}`)], root);
  }

  /** A safekeep that serves and has its first backup; resolves with it and what `revert` answers. */
  async servingSafekeep(args: readonly string[] = [], nodeFlags: readonly string[] = []): Promise<{ server: ListeningProcess; revertPath: string }> {
    const server = this.safekeep(await this.newRoot(), [...SERVE_ARGS, ...args], nodeFlags);
    const port = await server.listening();
    await server.waitFor('stderr', /done: /);
    const client = await LineClient.connect(port);
    const revertPath = await client.request(TEXT_REQUEST);
    client.close();
    return { server, revertPath };
  }

  async bare(script: string, reply: string, nodeFlags: readonly string[] = []): Promise<ListeningProcess> {
    const server = new ListeningProcess(process.execPath, [...nodeFlags, script, reply], this.root);
    await server.listening();
    return server;
  }
}

function contender(server: ListeningProcess, expectedReply: string): Contender {
  return { port: server.port, pid: server.pid, expectedReply };
}

async function dialects(bench: Bench, safekeep: ListeningProcess, revertPath: string): Promise<void> {
  const dialectsToRun = [
    { on: ONLY.has('text'), name: 'text `revert`', request: TEXT_REQUEST, reply: revertPath, script: bench.bareText, baseline: 'bare node:net' },
    { on: ONLY.has('json'), name: 'JSON `number_of_users`', request: JSON_REQUEST, reply: JSON_REPLY, script: bench.bareJson, baseline: 'bare JSON' },
  ];
  for (const dialect of dialectsToRun.filter((candidate) => candidate.on)) {
    const bare = await bench.bare(dialect.script, dialect.reply);
    try {
      for (const shape of SHAPES) {
        const [ours, theirs] = await alternatingRounds(bench.generator, [contender(safekeep, dialect.reply), contender(bare, dialect.reply)], { request: dialect.request, ...shape }, TIMING);
        const ratio = ours.requestsPerSecond / theirs.requestsPerSecond;
        const pathName = `${dialect.name}, ${shape.name}`;
        rows.push({ path: pathName, safekeep: wire(ours), baseline: `${dialect.baseline} ${wire(theirs)}`, ratio: ratio.toFixed(2), bar: '≥ 0.8', holds: holds(ratio >= 0.8) });
        details.push(`| ${pathName} | ${percent(ours.serverCpu)} | ${percent(theirs.serverCpu)} | ${percent(ours.generatorCpu)} / ${percent(theirs.generatorCpu)} |`);
      }
    } finally {
      await bare.stop();
    }
  }
}

/** `--record` on against off, each a fresh safekeep started together, so that neither has served more than the other. */
async function recording(bench: Bench): Promise<void> {
  const recordFile = path.join(bench.root, 'bench-recording.ndjson');
  const [recorder, live] = await Promise.all([bench.servingSafekeep(['--record', recordFile]), bench.servingSafekeep()]);
  try {
    const shape = { request: TEXT_REQUEST, connections: 8, depth: 8 };
    const [recorded, unrecorded] = await alternatingRounds(
      bench.generator,
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
    details.push(`| recording on, text 8 × 8 | ${percent(recorded.serverCpu)} | ${percent(unrecorded.serverCpu)} (no --record) | ${percent(recorded.generatorCpu)} / ${percent(unrecorded.generatorCpu)} |`);
  } finally {
    await Promise.all([recorder.server.stop(), live.server.stop()]);
  }
}

async function idleConnections(bench: Bench, revertPath: string): Promise<void> {
  const connections = Number(args['rss-connections']);
  const gcFlags = ['--expose-gc', '--import', bench.gcPreload];
  const bare = await bench.bare(bench.bareText, revertPath, gcFlags);
  let bareKiB: number;
  try {
    bareKiB = await rssPerIdleConnection(bench.generator, bare, TEXT_REQUEST, connections);
  } finally {
    await bare.stop();
  }
  const { server } = await bench.servingSafekeep([], gcFlags);
  try {
    const oursKiB = await rssPerIdleConnection(bench.generator, server, TEXT_REQUEST, connections);
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

async function startup(bench: Bench, revertPath: string): Promise<void> {
  const runs = Number(args['startup-runs']);
  const root = await bench.newRoot();
  const [oursMs, bareMs] = await startupRounds(
    [() => bench.safekeep(root, ['--source', 'notes.json', '--port', '0']), () => new ListeningProcess(process.execPath, [bench.bareText, revertPath], root)],
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
  const [npmMs] = await startupRounds(
    [() => new ListeningProcess('npm', ['start', '--', '--source', path.join(root, 'notes.json'), '--port', '0', '--data-dir', path.join(root, `npm-data-${Math.random().toString(36).slice(2)}`)], REPO)],
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

/** Safekeep under text, then JSON, 8 × 8 load with `--cpu-prof`: where its busy time goes in each window. */
async function profile(bench: Bench): Promise<string[]> {
  const profileDir = path.join(bench.root, 'profile');
  const { server } = await bench.servingSafekeep([], ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
  const windows: { name: string; fromUs: number; toUs: number; replies: number }[] = [];
  try {
    for (const [name, request] of [['text `revert`', TEXT_REQUEST], ['JSON `number_of_users`', JSON_REQUEST]] as const) {
      const fromUs = Number(process.hrtime.bigint() / 1000n);
      const { replies } = await bench.generator.load({ port: server.port, request, connections: 8, depth: 8, durationMs: 3_000 });
      windows.push({ name, fromUs, toUs: Number(process.hrtime.bigint() / 1000n), replies });
    }
  } finally {
    // SIGTERM: safekeep stops cleanly and node writes the profile on the way out.
    await server.stop();
  }
  const file = path.join(profileDir, (await readdir(profileDir))[0] as string);
  const lines: string[] = [];
  for (const window of windows) {
    const origins = await selfTimeByOrigin(file, window);
    const busyMs = origins.reduce((sum, origin) => sum + origin.ms, 0);
    lines.push(
      '',
      `CPU profile of safekeep under ${window.name}, 8 × 8, 3 s: busy ${busyMs.toFixed(0)} ms for ${window.replies} replies (${((busyMs * 1000) / window.replies).toFixed(0)} µs each); self time by origin, then the top functions`,
    );
    for (const { name, share } of origins) lines.push(`  ${percent(share).padStart(4)}  ${name}`);
    for (const { name, share } of await topSelfTimes(file, 12, window)) lines.push(`  ${percent(share).padStart(4)}  ${name}`);
  }
  return lines;
}

async function main(): Promise<void> {
  const started = performance.now();
  const root = await mkdtemp(path.join(tmpdir(), 'safekeep-bench-wire-'));
  let bench: Bench | undefined;
  let safekeep: ListeningProcess | undefined;
  try {
    const compile = (name: string) => compileBenchScript(fileURLToPath(new URL(name, import.meta.url)), root);
    bench = new Bench(root, await compile('./bare-net-server.ts'), await compile('./bare-json-server.ts'), await compile('./gc-on-signal.ts'));
    const serving = await bench.servingSafekeep();
    safekeep = serving.server;
    await dialects(bench, safekeep, serving.revertPath);
    await safekeep.stop();
    if (ONLY.has('record')) await recording(bench);
    if (ONLY.has('rss')) await idleConnections(bench, serving.revertPath);
    if (ONLY.has('startup')) await startup(bench, serving.revertPath);
    if (ONLY.has('in-process')) await inProcess();
    const profileLines = args['cpu-prof'] ? await profile(bench) : [];

    const date = new Date().toISOString().slice(0, 10);
    const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
    console.log(`Measured ${date} on ${cpus().length} cores (${cpu}), Node ${process.version}, with \`npm run bench\` (bench/wire-speed.bench.ts): medians of ${TIMING.rounds} alternating rounds of ${TIMING.roundMs / 1000} s; safekeep from \`dist\`, the load generator in a process of its own.`);
    console.log('');
    console.log('| path | safekeep | baseline | ratio | bar | holds? |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const row of rows) console.log(`| ${row.path} | ${row.safekeep} | ${row.baseline} | ${row.ratio} | ${row.bar} | ${row.holds} |`);
    if (details.length > 0) {
      console.log('');
      console.log('Where the cores went (share of one core over each round; a load generator near 100% would be setting the pace itself):');
      console.log('');
      console.log('| path | safekeep CPU | baseline CPU | load generator CPU (safekeep / baseline rounds) |');
      console.log('| --- | --- | --- | --- |');
      for (const line of details) console.log(line);
    }
    for (const line of profileLines) console.log(line);
    console.log(`\n(wire-speed bench: ${((performance.now() - started) / 1000).toFixed(0)} s)`);
  } finally {
    await safekeep?.stop();
    bench?.generator.stop();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
