import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import type { Host } from '../src/host/host.ts';
import type * as StartHostModule from '../src/host/start-host.ts';
import type * as SecretModule from '../src/secret/secret.ts';
import { JsonClient } from '../test/helpers/json-client.ts';
import { NATS_SERVER, startNatsCluster } from '../test/helpers/nats-cluster.ts';
import { markdownTable } from './bar-table.ts';
import { median } from './median.ts';

/**
 * Issue 14's bar: a durable book write in the cluster (R3) within 2× of a raw
 * JetStream KV put with the same replicas, p50. One 3-server NATS cluster on
 * loopback; on it, in alternating rounds (the first to go switching every
 * round): (a) sequential `kv.put` of a ~400-byte value into an R3 bucket from
 * one client; (b) sequential `entry.add` through an in-process host in the
 * cluster (`store: nats`, replicas 3) after one login: two reads of what the
 * node holds, then a 2-write batch, one KV message conditional on nothing
 * having been written since (one round trip; a conflict would add a read
 * behind the barrier and a second write); (c) the same
 * `entry.add` through the host's socket (JSON dialect, one connection). All
 * use the same servers at the same time of the run, the clients connected
 * to one server and both buckets led from one server (a stream leader one
 * route away costs a hop the other side would not pay). After each side that
 * wrote through the store, untimed, the bench waits until the store's stream
 * has gone quiet: the materialiser copies batch records to their keys once
 * the store is idle (or every 5 s), and those copies must land between the
 * sides, not inside a side's timings (the raw side's p99 showed them).
 *
 * Usage: node --import tsx bench/cluster-store.bench.ts [rounds] [per round]
 * (it measures `dist`: run `npm run build` first after a change; `npm run bench` does)
 */
/**
 * safekeep as its users run it: the built library (what `import … from 'safekeep'` loads, and what the
 * built command runs), not the sources through tsx, whose keepNames wraps every closure made per request
 * in a naming call no user pays. Its Secret too: the host knows a secret by its own class.
 */
const dist = (file: string) => new URL(`../dist/src/${file}`, import.meta.url).href;
const { startHost } = (await import(dist('host/start-host.js'))) as typeof StartHostModule;
const { Secret } = (await import(dist('secret/secret.js'))) as typeof SecretModule;

const ROUNDS = Number(process.argv[2] ?? 8);
const PER_ROUND = Number(process.argv[3] ?? 150);
const WARM_UP = 50;
/** Longer than the materialiser's idle wait (250 ms): a stream this still has finished its copies. */
const QUIET_MS = 600;

if (NATS_SERVER === null) {
  console.log('cluster store: skipped, no nats-server on PATH (apt-get install nats-server, or set SAFEKEEP_NATS_SERVER)');
  process.exit(0);
}

const percentile = (samples: readonly number[], p: number): number => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] as number;
};

/** Steps `moved`'s leader down until it is `fixed`'s leader's server (bounded): reports where the leaders are. */
async function sameLeader(jsm: JetStreamManager, fixed: string, moved: string): Promise<string> {
  const leaderOf = async (stream: string) => (await jsm.streams.info(stream)).cluster?.leader;
  const target = await leaderOf(fixed);
  for (let attempt = 0; attempt < 12; attempt++) {
    const now = await leaderOf(moved);
    if (now === target) return `both stream leaders on ${target}, clients on n1`;
    await nc.request(`$JS.API.STREAM.LEADER.STEPDOWN.${moved}`, '', { timeout: 5_000 }).catch(() => undefined);
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const next = await leaderOf(moved).catch(() => undefined);
      if (next !== undefined && next !== now) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  return `stream leaders apart (raw on ${target}, store on ${await leaderOf(moved)}), clients on n1`;
}

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

const nats = await startNatsCluster({ label: 'bench-cluster-store' });
// Both sides' clients on one server, and both buckets led from one server: the same hops for each side.
const server = nats.urls[0] as string;
const nc = await connect({ servers: [server] });
let host: Host | null = null;
let socketClient: JsonClient | null = null;
try {
  const kv = await new Kvm(nc).create('bench-raw', { replicas: 3, history: 1 });
  const jsm = await jetstreamManager(nc);
  // The store's bucket as the store makes it (the host's create then finds it), led from where the raw one is.
  await new Kvm(nc).create('safekeep-store', { replicas: 3, history: 1, allow_direct: false });
  const placement = await sameLeader(jsm, 'KV_bench-raw', 'KV_safekeep-store');
  const value = 'v'.repeat(400);
  let rawCount = 0;
  const rawPut = () => kv.put(`k${rawCount++ % 1000}`, value);

  const dataDir = await mkdtemp(path.join(tmpdir(), 'safekeep-bench-cluster-'));
  host = await startHost({ dataDir, socket: { port: 0 }, cluster: { servers: [server], nodeName: 'bench', replicas: 3 } });
  const masterPassword = new Secret('the cluster bench master password');
  await host.request('user.register', { username: 'bench', masterPassword });
  const { token } = await host.request('session.login', { username: 'bench', masterPassword });
  let entryCount = 0;
  const running = host;
  const bookWrite = () => running.request('entry.add', { token, name: `site ${entryCount++}`, password: new Secret(`password ${entryCount}`) });
  socketClient = await JsonClient.connect(host.address?.port as number);
  const client = socketClient;
  const { token: socketToken } = await client.ok({ type: 'session.login', username: 'bench', masterPassword: 'the cluster bench master password' });
  const socketWrite = () => client.ok({ type: 'entry.add', token: socketToken, name: `site ${entryCount++}`, password: `password ${entryCount}` });
  const sides = { raw: rawPut, book: bookWrite, socket: socketWrite } as const;
  /** The store's stream has not moved for longer than the materialiser's idle wait: what it had queued is copied. */
  const storeQuiet = async (): Promise<void> => {
    const deadline = Date.now() + 60_000;
    let last = -1;
    let stillSince = Date.now();
    for (;;) {
      const now = (await jsm.streams.info('KV_safekeep-store')).state.last_seq;
      if (now !== last) [last, stillSince] = [now, Date.now()];
      else if (Date.now() - stillSince >= QUIET_MS) return;
      if (Date.now() > deadline) throw new Error('the store did not go quiet within 60 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  for (let i = 0; i < WARM_UP; i++) {
    await rawPut();
    await bookWrite();
    await socketWrite();
  }
  await storeQuiet();
  const samples = { raw: [] as number[], book: [] as number[], socket: [] as number[] };
  const roundRatios: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['raw', 'book', 'socket'] as const) : (['socket', 'book', 'raw'] as const);
    const thisRound = { raw: [] as number[], book: [] as number[], socket: [] as number[] };
    for (const side of order) {
      for (let i = 0; i < PER_ROUND; i++) thisRound[side].push(await timed(sides[side]));
      if (side !== 'raw') await storeQuiet();
    }
    for (const side of order) samples[side].push(...thisRound[side]);
    roundRatios.push(median(thisRound.book) / median(thisRound.raw));
  }
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  const ratio = median(samples.book) / median(samples.raw);
  console.log(`cluster store: p50/p99 of ${ROUNDS} alternating rounds × ${PER_ROUND} sequential writes each, 3 nats-server on loopback, R3; ${placement}`);
  for (const line of markdownTable(
    ['path', 'p50', 'p99'],
    [
      ['raw JetStream KV put, ~400 B, R3', ms(median(samples.raw)), ms(percentile(samples.raw, 99))],
      ['durable book write: entry.add in-process (2-write batch), R3', ms(median(samples.book)), ms(percentile(samples.book, 99))],
      ['durable book write: entry.add over the socket (JSON), R3', ms(median(samples.socket)), ms(percentile(samples.socket, 99))],
    ],
  )) {
    console.log(line);
  }
  console.log(`ratio p50 book / raw: ${ratio.toFixed(2)}× (per-round medians: ${roundRatios.map((r) => r.toFixed(2)).join(', ')}); over the socket ${(median(samples.socket) / median(samples.raw)).toFixed(2)}×`);
  console.log(`bar ≤ 2×: ${ratio <= 2 ? 'holds' : 'misses'}`);
} finally {
  socketClient?.close();
  await host?.stop();
  await nc.close();
  await nats.stop();
}
process.exit(0);
