import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after } from 'node:test';
import net from 'node:net';

/** Debian's nats-server (`apt-get install nats-server`; .ci/run installs it); SAFEKEEP_NATS_SERVER names another. */
export const NATS_SERVER = process.env['SAFEKEEP_NATS_SERVER'] ?? findOnPath('nats-server');
/** CI services set CI (`CI=true`); there the cluster tests must run, not skip. */
const IN_CI = (process.env['CI'] ?? '') !== '' && !/^(?:0|false)$/i.test(process.env['CI'] ?? '');

/**
 * Skips the test (or, under CI, fails it) when there is no nats-server; true
 * when the test may go on.
 *
 * @example
 * it('…', async (t) => { if (!natsServerOr(t)) return; const nats = await startNatsCluster(); … });
 */
export function natsServerOr(t: { skip(message: string): void }): boolean {
  if (NATS_SERVER !== null) return true;
  const why = "no nats-server on PATH: install Debian's nats-server package (apt-get install nats-server) or set SAFEKEEP_NATS_SERVER";
  if (IN_CI) assert.fail(`${why} (CI=${process.env['CI']}: the cluster tests must run in CI)`);
  t.skip(why);
  return false;
}

/** One nats-server of a test cluster. */
export interface NatsServer {
  readonly name: string;
  /** `nats://127.0.0.1:PORT`, what clients connect to. */
  readonly url: string;
  readonly clientPort: number;
  readonly monitorPort: number;
  readonly routePort: number;
  readonly storeDir: string;
  process: ChildProcess | null;
  log: string;
}

const clusters: { cluster: NatsCluster; folder: string }[] = [];
// A failed test must leave no nats-server running; their stores go once they have stopped (not before, as
// tempDir's own clean-up could: a server still writing made the removal fail, ENOTEMPTY).
after(async () => {
  await Promise.all(clusters.map(({ cluster }) => cluster.stop()));
  await Promise.all(clusters.map(({ folder }) => rm(folder, { recursive: true, force: true, maxRetries: 5 })));
});

/**
 * A NATS cluster of real nats-server processes on loopback, JetStream on,
 * each with its own store in a temp folder: `servers` of them (3 by default),
 * routed to each other. Stopped when the test file ends.
 *
 * @example
 * const nats = await startNatsCluster();
 * await startHost({ dataDir, cluster: { servers: nats.urls, nodeName: 'a' } });
 * await nats.kill(0);   // kill -9 one server
 * await nats.restart(0); // and bring it back, with its store
 */
export async function startNatsCluster(options: { servers?: number; label?: string } = {}): Promise<NatsCluster> {
  assert.ok(NATS_SERVER, 'nats-server is not installed (use natsServerOr first)');
  const count = options.servers ?? 3;
  const folder = await mkdtemp(path.join(tmpdir(), `${options.label ?? 'nats'}-`));
  const servers: NatsServer[] = [];
  const ports = await freePorts(count * 3);
  for (let i = 0; i < count; i++) {
    const [clientPort, monitorPort, routePort] = ports.slice(i * 3, i * 3 + 3) as [number, number, number];
    const storeDir = path.join(folder, `n${i + 1}`);
    await mkdir(storeDir, { recursive: true });
    servers.push({ name: `n${i + 1}`, url: `nats://127.0.0.1:${clientPort}`, clientPort, monitorPort, routePort, storeDir, process: null, log: '' });
  }
  const cluster = new NatsCluster(servers);
  clusters.push({ cluster, folder });
  await Promise.all(servers.map((_, i) => cluster.restart(i)));
  await cluster.ready();
  return cluster;
}

export class NatsCluster {
  readonly servers: readonly NatsServer[];

  constructor(servers: readonly NatsServer[]) {
    this.servers = servers;
  }

  /** Every server's client URL. */
  get urls(): string[] {
    return this.servers.map((server) => server.url);
  }

  /** Starts server `i` (again), with the store it had; resolves once it listens for clients. */
  async restart(i: number): Promise<void> {
    const server = this.servers[i] as NatsServer;
    assert.equal(server.process, null, `${server.name} is running`);
    const routes = this.servers.length > 1 ? ['--cluster_name', 'skc', '--cluster', `nats://127.0.0.1:${server.routePort}`, '--routes', this.servers.map((s) => `nats://127.0.0.1:${s.routePort}`).join(',')] : [];
    const child = spawn(
      NATS_SERVER as string,
      ['-a', '127.0.0.1', '-p', String(server.clientPort), '-m', String(server.monitorPort), '-n', server.name, '-js', '-sd', server.storeDir, ...routes],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    server.process = child;
    server.log = '';
    child.stdout?.setEncoding('utf8').on('data', (text: string) => (server.log += text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => (server.log += text));
    child.on('exit', () => {
      if (server.process === child) server.process = null;
    });
    await waitUntil(() => server.log.includes('Server is ready') || child.exitCode !== null, 10_000, `${server.name} to start`);
    assert.equal(child.exitCode, null, `${server.name} exited at start:\n${server.log}`);
  }

  /** Kills server `i` (SIGKILL by default: `kill -9`) and waits until it is gone. */
  async kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const server = this.servers[i] as NatsServer;
    const child = server.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    // A server slow to shut down, or frozen by a test (SIGSTOP), must not keep the test file running for ever.
    const timer = signal === 'SIGKILL' ? null : setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    if (timer) clearTimeout(timer);
    server.process = null;
  }

  /**
   * Resolves once every running server answers 200 on /healthz: JetStream has
   * a meta leader and each of its stream replicas is current (a restarted one
   * has caught up).
   */
  async ready(timeoutMs = 30_000): Promise<void> {
    const running = this.servers.filter((server) => server.process !== null);
    await waitUntil(
      async () => (await Promise.all(running.map((server) => healthy(server)))).every(Boolean) && (await metaGroupHolds(running)),
      timeoutMs,
      'the NATS servers to be healthy',
    );
  }

  /** Server `i`'s JetStream account details from its monitoring port (`/jsz?streams=true`). */
  async jsz(i: number): Promise<unknown> {
    const server = this.servers[i] as NatsServer;
    const response = await fetch(`http://127.0.0.1:${server.monitorPort}/jsz?streams=true&config=true`);
    return response.json();
  }

  async stop(): Promise<void> {
    // A frozen server (SIGSTOP) takes SIGTERM only once it runs again.
    for (const server of this.servers) server.process?.kill('SIGCONT');
    await Promise.all(this.servers.map((_, i) => this.kill(i, 'SIGTERM')));
  }
}

async function healthy(server: NatsServer): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${server.monitorPort}/healthz`);
    return response.status === 200;
  } catch {
    return false;
  }
}

interface MetaCluster {
  readonly leader?: string;
  readonly replicas?: readonly { readonly name: string; readonly current: boolean; readonly offline?: boolean }[];
}

/**
 * Whether every running server agrees on one JetStream meta leader, and that
 * leader counts each of the others as a current peer. /healthz alone can say
 * 200 before then, and a stream made in that moment is refused ("no suitable
 * peers for placement, peer offline").
 */
async function metaGroupHolds(running: readonly NatsServer[]): Promise<boolean> {
  if (running.length < 2) return true;
  try {
    const metas = await Promise.all(
      running.map(async (server) => ((await (await fetch(`http://127.0.0.1:${server.monitorPort}/jsz`)).json()) as { meta_cluster?: MetaCluster }).meta_cluster),
    );
    const leader = metas[0]?.leader;
    if (!leader || metas.some((meta) => meta?.leader !== leader)) return false;
    const fromLeader = metas[running.findIndex((server) => server.name === leader)];
    if (!fromLeader) return false;
    return running.every((server) => server.name === leader || fromLeader.replicas?.some((peer) => peer.name === server.name && peer.current && !peer.offline));
  } catch {
    return false;
  }
}

async function waitUntil(test: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** `count` different ports nothing listens on: all held open together, so the system cannot hand out one twice. */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve) => {
      const server = net.createServer();
      server.listen(0, '127.0.0.1', () => resolve(server));
    })),
  );
  const ports = servers.map((server) => (server.address() as net.AddressInfo).port);
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  return ports;
}

function findOnPath(command: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  const location = found.stdout.trim();
  return found.status === 0 && location !== '' ? location : null;
}
