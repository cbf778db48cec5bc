import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Moleculer from 'moleculer';
import type { Host } from '../src/host/host.ts';
import type * as StartHostModule from '../src/host/start-host.ts';
import { BUILT_ARGV, SafekeepProcess } from '../test/helpers/safekeep-process.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { holds, markdownTable } from './bar-table.ts';
import { median } from './median.ts';
import { cpuMsOf } from './proc-stats.ts';

/**
 * Requests through a remote node (issue 14), against Moleculer 0.14 calling a
 * trivial action over its NATS transporter, side by side on one nats-server.
 *
 * - Moleculer: the `echo.ping` action in a child process
 *   (bench/moleculer-echo-service.mjs, bare node); the caller broker in this process.
 * - safekeep: node a (the real CLI, a child process) runs a job; node b (a
 *   host in this process, `--store lowdb`, each node its own catalog) gets
 *   `job.resume` for a's job through `host.request`: b routes it to a over
 *   NATS, a handles it (trivial: the job is not paused) and b gets a's answer.
 *
 * Both callers sit in this process and both servers in a child, on the same
 * server. Rounds alternate (Moleculer, safekeep, Moleculer, …); each round
 * makes SEQUENTIAL calls one after another (p50, p99) and then keeps
 * CONCURRENCY calls in flight for BURST_MS (calls per second). The figures
 * are medians over the rounds; the ratio is Moleculer's time over
 * safekeep's (≥ 1.0 is the bar: safekeep at least as fast).
 *
 * Usage: node --import tsx bench/cluster-requests.bench.ts [rounds] [sequential calls] [concurrency]
 * (it measures `dist`: run `npm run build` first after a change; `npm run bench` does)
 */
const ROUNDS = Number(process.argv[2] ?? 5);
const SEQUENTIAL = Number(process.argv[3] ?? 1_000);
const CONCURRENCY = Number(process.argv[4] ?? 16);
const BURST_MS = 1_500;
const WARM_UP = 300;
/** Set: node a runs with --cpu-prof, its profile written here (and this process can be run with --cpu-prof too). */
const PROFILE_DIR = process.env['CPU_PROF_DIR'];
/** `safekeep` or `moleculer`: run that side's rounds alone (to profile it). */
const ONLY = process.env['BENCH_ONLY'];
const SERVICE = fileURLToPath(new URL('./moleculer-echo-service.mjs', import.meta.url));
/**
 * safekeep as its users run it: node a is the built command (`npm start` runs dist), node b the built library
 * (what `import … from 'safekeep'` loads). From the sources, tsx would wrap every closure made per request in a
 * naming call (esbuild's keepNames), a cost no user pays; Moleculer's service runs on bare node too.
 */
const { startHost } = (await import(new URL('../dist/src/host/start-host.js', import.meta.url).href)) as typeof StartHostModule;

interface RoundFigures {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly perSecond: number;
  /** CPU per call while CONCURRENCY are in flight, µs: the serving process (a child), and this one (the caller). Steadier than times on a shared machine. */
  readonly serverCpuUs: number;
  readonly callerCpuUs: number;
  /** The serving process's write system calls per call in flight (each a socket write): what batching saves. */
  readonly serverWrites: number;
}

/** Write system calls a process has made so far (/proc/PID/io). */
async function writesOf(pid: number): Promise<number> {
  return Number(/^syscw: (\d+)$/m.exec(await readFile(`/proc/${pid}/io`, 'utf8'))?.[1] ?? NaN);
}

type Call = () => Promise<unknown>;

async function sequential(call: Call, count: number): Promise<{ p50Ms: number; p99Ms: number }> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await call();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50Ms: times[Math.floor(count * 0.5)] as number, p99Ms: times[Math.floor(count * 0.99)] as number };
}

async function burst(call: Call, concurrency: number, ms: number, serverPid: number): Promise<Pick<RoundFigures, 'perSecond' | 'serverCpuUs' | 'callerCpuUs' | 'serverWrites'>> {
  const until = performance.now() + ms;
  let done = 0;
  const [serverBefore, writesBefore, callerBefore] = [await cpuMsOf(serverPid), await writesOf(serverPid), process.cpuUsage()];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) {
        await call();
        done++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1_000;
  const caller = process.cpuUsage(callerBefore);
  return {
    perSecond: done / seconds,
    serverCpuUs: (((await cpuMsOf(serverPid)) - serverBefore) * 1_000) / done,
    callerCpuUs: (caller.user + caller.system) / done,
    serverWrites: ((await writesOf(serverPid)) - writesBefore) / done,
  };
}

async function round(call: Call, serverPid: number): Promise<RoundFigures> {
  const latency = await sequential(call, SEQUENTIAL);
  return { ...latency, ...(await burst(call, CONCURRENCY, BURST_MS, serverPid)) };
}

function which(command: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : null;
}

async function startNatsServer(folder: string): Promise<{ url: string; child: ChildProcess }> {
  const binary = process.env['SAFEKEEP_NATS_SERVER'] ?? which('nats-server');
  if (!binary) {
    console.log("cluster-requests bench skipped: no nats-server on PATH (apt-get install nats-server, or set SAFEKEEP_NATS_SERVER)");
    process.exit(0);
  }
  const port = await freePort();
  const child = spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', path.join(folder, 'nats')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (log += text));
  await waitFor(() => log.includes('Server is ready'), 10_000, 'nats-server to start');
  return { url: `nats://127.0.0.1:${port}`, child };
}

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function startMoleculer(url: string): Promise<{ call: Call; stop: () => Promise<void>; child: ChildProcess }> {
  const child = spawn(process.execPath, [SERVICE, url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (out += text));
  await waitFor(() => out.includes('ready'), 20_000, 'the Moleculer service');
  const broker = new Moleculer.ServiceBroker({ nodeID: 'bench-caller', transporter: url, logLevel: 'warn' });
  await broker.start();
  await broker.waitForServices(['echo'], 10_000);
  return { call: () => broker.call('echo.ping', { job: 'notes.txt' }), stop: () => broker.stop(), child };
}

async function startSafekeep(url: string, folder: string): Promise<{ call: Call; host: Host; nodeA: SafekeepProcess }> {
  await writeFile(path.join(folder, 'notes.txt'), 'notes\n');
  const cluster = ['--cluster', url, '--store', 'lowdb', '--replicas', '1'];
  const profile = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];
  const nodeA = new SafekeepProcess(['--port', '0', '--data-dir', 'a', '--source', 'notes.txt', '--interval', '1h', '--node-name', 'a', ...cluster], folder, profile, BUILT_ARGV);
  await nodeA.port();
  // Every node of a cluster shares the service key: b gets a's.
  await mkdir(path.join(folder, 'b', 'keys'), { recursive: true, mode: 0o700 });
  await copyFile(path.join(folder, 'a', 'keys', 'service.key'), path.join(folder, 'b', 'keys', 'service.key'));
  const host = await startHost({ dataDir: path.join(folder, 'b'), socket: false, cluster: { servers: [url], nodeName: 'b', store: 'lowdb', replicas: 1 } });
  let jobId: string | undefined;
  await waitForAsync(async () => {
    const status = await host.status();
    jobId = status.cluster?.nodes.find((node) => node.name === 'a')?.jobs[0];
    return jobId !== undefined;
  }, 15_000, "node a's job in node b's registry");
  const job = jobId as string;
  return { call: () => host.request('job.resume', { job }), host, nodeA };
}

async function waitForAsync(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const fmt = (ms: number) => `${ms.toFixed(3)} ms`;

async function main(): Promise<void> {
  const folder = await mkdtemp(path.join(tmpdir(), 'cluster-requests-bench-'));
  const nats = await startNatsServer(folder);
  const moleculer = await startMoleculer(nats.url);
  const safekeep = await startSafekeep(nats.url, folder);
  try {
    for (let i = 0; i < WARM_UP; i++) {
      await moleculer.call();
      await safekeep.call();
    }
    const figures = { moleculer: [] as RoundFigures[], safekeep: [] as RoundFigures[] };
    for (let r = 0; r < ROUNDS; r++) {
      // Alternating, starting with the other side each round, so drift on a shared machine falls on both.
      const order = r % 2 === 0 ? (['moleculer', 'safekeep'] as const) : (['safekeep', 'moleculer'] as const);
      for (const side of order) if (!ONLY || ONLY === side) figures[side].push(await round(side === 'moleculer' ? moleculer.call : safekeep.call, (side === 'moleculer' ? moleculer.child.pid : safekeep.nodeA.child.pid) as number));
    }
    const med = (side: 'moleculer' | 'safekeep', key: keyof RoundFigures) => median(figures[side].map((figure) => figure[key]));
    const m = { p50: med('moleculer', 'p50Ms'), p99: med('moleculer', 'p99Ms'), rate: med('moleculer', 'perSecond'), server: med('moleculer', 'serverCpuUs'), caller: med('moleculer', 'callerCpuUs'), writes: med('moleculer', 'serverWrites') };
    const s = { p50: med('safekeep', 'p50Ms'), p99: med('safekeep', 'p99Ms'), rate: med('safekeep', 'perSecond'), server: med('safekeep', 'serverCpuUs'), caller: med('safekeep', 'callerCpuUs'), writes: med('safekeep', 'serverWrites') };
    const us = (value: number) => `${value.toFixed(0)} µs`;
    const rows = [
      ['sequential p50', fmt(s.p50), fmt(m.p50), (m.p50 / s.p50).toFixed(2), '≥ 1.0', holds(m.p50 / s.p50 >= 1)],
      ['sequential p99', fmt(s.p99), fmt(m.p99), (m.p99 / s.p99).toFixed(2), '(info)', '-'],
      [`${CONCURRENCY} in flight`, `${s.rate.toFixed(0)} calls/s`, `${m.rate.toFixed(0)} calls/s`, (s.rate / m.rate).toFixed(2), '≥ 1.0', holds(s.rate / m.rate >= 1)],
      ['CPU per call in flight: serving process', us(s.server), us(m.server), (m.server / s.server).toFixed(2), '(info)', '-'],
      ['CPU per call in flight: calling process', us(s.caller), us(m.caller), (m.caller / s.caller).toFixed(2), '(info)', '-'],
      ['socket writes per call in flight: serving process', s.writes.toFixed(3), m.writes.toFixed(3), (m.writes / s.writes).toFixed(2), '(info)', '-'],
    ];
    console.log(`Requests through a remote node vs Moleculer 0.14 (NATS transporter), one nats-server, ${ROUNDS} alternating rounds of ${SEQUENTIAL} sequential calls and ${BURST_MS} ms at ${CONCURRENCY} in flight; medians. Ratio = Moleculer time / safekeep time (throughput: safekeep / Moleculer).`);
    console.log(markdownTable(['figure', 'safekeep (b → a, job.resume)', 'Moleculer (echo.ping)', 'ratio', 'bar', 'holds?'], rows).join('\n'));
  } finally {
    await safekeep.host.stop();
    await safekeep.nodeA.stop();
    await moleculer.stop();
    // The service's broker leaves before its server does, or it logs the lost connection as an error.
    const serviceGone = new Promise((resolve) => moleculer.child.once('exit', resolve));
    moleculer.child.kill('SIGTERM');
    await serviceGone;
    nats.child.kill('SIGTERM');
    await rm(folder, { recursive: true, force: true });
  }
}

await main();
