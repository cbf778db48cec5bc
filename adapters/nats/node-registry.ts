import { Kvm, type KV, type KvEntry } from '@nats-io/kv';
import type { Bus } from '../../src/bus/bus.ts';
import type { Clock } from '../../src/clock/clock.ts';
import { ClusterKeyMismatchError } from '../../src/cluster/cluster-errors.ts';
import { StoreUnavailableError } from '../../src/store/errors.ts';
import type { ClusterNode, ClusterSnapshot, ClusterView, NodeIntroduction } from '../../src/ports/cluster-view.ts';
import type { RemoteJob } from '../../src/ports/remote-requests.ts';
import type { NatsLink } from './nats-link.ts';
import { bucketReplicas } from './lease-bucket.ts';
import { leaseHolderOf, parseNodeRecord, type NodeRecord } from './registry-record.ts';

/** How often a node says it is alive. */
export const HEARTBEAT_MS = 2_000;
/** A node not heard from for this long is gone: three heartbeats missed (also the bucket's TTL, so its record expires too). */
export const NODE_TTL_MS = 3 * HEARTBEAT_MS;
/** How often a join tries its first record, and how long it waits between tries: longer than a stream leader's election (~7 s on 2.9), short enough to fail a start clearly. */
const JOIN_ATTEMPTS = 5;
const JOIN_RETRY_MS = 2_000;

export interface NodeRegistryOptions {
  readonly link: NatsLink;
  readonly name: string;
  readonly nodeName: string;
  readonly replicas: number;
  readonly leaseTtlMs: number;
  readonly clock: Clock;
}

interface Heard<T> {
  readonly value: T;
  readonly revision: number;
  /** When this node heard it, on this node's clock. */
  readonly heardAt: number;
}

/**
 * The cluster's live nodes, in a KV bucket (`${name}-nodes`) whose TTL drops
 * a node that stopped saying it is alive; and the shared jobs' leases, read
 * from the jobs part's bucket (`${name}-leases`: a JSON value with `node`).
 * Both are watched, so `snapshot()` reads memory. `checkKey` (before the node
 * serves anything) and the join check the service key: every node of a
 * cluster must hold the same `keys/service.key`.
 *
 * @example
 * const registry = new NodeRegistry({ link, name: 'safekeep', nodeName: 'a', replicas: 3, leaseTtlMs: 10_000, clock });
 * await registry.start(bus);
 * await registry.checkKey(keyCheck); // before the node loads its catalog or serves
 * await registry.join({ startedAt, version, keyCheck, listening: () => socket.address(), jobs: () => scheduler.activeJobIds() });
 * registry.snapshot().nodes; // [{ name: 'a', … }, { name: 'b', … }]
 */
export class NodeRegistry implements ClusterView {
  readonly #options: NodeRegistryOptions;
  readonly #nodes = new Map<string, Heard<NodeRecord>>();
  /** By lease key (the job's id, or its `jobId` in the value). */
  readonly #leases = new Map<string, Heard<{ jobId: string; node: string; renewedAt: number }>>();
  #bucket: KV | null = null;
  #self: NodeIntroduction | null = null;
  #heartbeat: ReturnType<typeof setInterval> | null = null;
  #leasesWatched = false;
  #stopped = false;
  /** What stops with the registry: the bucket watches and its bus subscription. */
  readonly #watches: { stop(): void }[] = [];

  constructor(options: NodeRegistryOptions) {
    this.#options = options;
  }

  async start(bus: Bus): Promise<void> {
    const { link, name, replicas } = this.#options;
    const kvm = new Kvm(link.connection);
    try {
      this.#bucket = await kvm.create(`${name}-nodes`, { replicas: bucketReplicas(link.connection, replicas), ttl: NODE_TTL_MS, history: 1 });
      await this.#watch(this.#bucket, (entry) => this.#nodeChanged(entry));
    } catch (error) {
      // A timeout or "jetstream is not enabled" here means JetStream has no quorum (too few servers up), not a bug.
      throw new StoreUnavailableError(
        `The cluster's node registry (KV bucket ${name}-nodes) could not be opened on NATS: ${error instanceof Error ? error.message : String(error)}; are enough NATS servers running with JetStream?`,
        { cause: error },
      );
    }
    await this.#watchLeases();
    // The socket's address is known once the host has started: said at once rather than at the next heartbeat.
    const started = bus.on$('host.started').subscribe(() => void this.#beat());
    this.#watches.push({ stop: () => started.unsubscribe() });
  }

  snapshot(): ClusterSnapshot {
    const { link, nodeName, leaseTtlMs } = this.#options;
    const now = this.#options.clock.now();
    const nodes: ClusterNode[] = [];
    for (const { value, heardAt } of this.#nodes.values()) {
      if (now - heardAt > NODE_TTL_MS) continue;
      nodes.push({ name: value.name, seenAt: value.seenAt, startedAt: value.startedAt, version: value.version, listening: value.listening, jobs: value.jobs });
    }
    nodes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const leases = [...this.#leases.values()]
      .filter((heard) => now - heard.heardAt <= leaseTtlMs)
      .map(({ value }) => ({ jobId: value.jobId, node: value.node, renewedAt: value.renewedAt }))
      .sort((a, b) => (a.jobId < b.jobId ? -1 : 1));
    return { node: nodeName, connected: link.connected, server: link.server, nodes, leases };
  }

  /** The other live node that runs `job` (by id), or for null the first job of the first other node by name that runs one. */
  locate(job: string | null): RemoteJob | null {
    // On every routed request of a node without the job in its catalog: straight from the map, no snapshot built.
    const now = this.#options.clock.now();
    let found: NodeRecord | null = null;
    for (const { value, heardAt } of this.#nodes.values()) {
      if (value.name === this.#options.nodeName || now - heardAt > NODE_TTL_MS) continue;
      if (job === null ? value.jobs.length > 0 && (found === null || value.name < found.name) : value.jobs.includes(job)) {
        found = value;
        if (job !== null) break;
      }
    }
    if (!found) return null;
    return { node: found.name, jobId: job ?? (found.jobs[0] as string) };
  }

  async checkKey(keyCheck: string): Promise<void> {
    // Read from the bucket, not the watch: a node that starts must see every live node, whatever the watch has delivered so far.
    this.#refuseOtherKey(await this.#liveRecords(this.#requireBucket()), keyCheck, Infinity);
  }

  async join(self: NodeIntroduction): Promise<void> {
    const bucket = this.#requireBucket();
    this.#self = self;
    let revision: number;
    try {
      revision = await this.#firstBeat(self, bucket);
      // A node with another key that joined since checkKey, or two nodes with different keys starting on a fresh cluster at once: the later record gives way.
      this.#refuseOtherKey(await this.#liveRecords(bucket), self.keyCheck, revision);
    } catch (error) {
      this.#self = null;
      await bucket.delete(this.#options.nodeName).catch(() => undefined);
      throw error;
    }
    this.#heartbeat = setInterval(() => void this.#beat(), HEARTBEAT_MS);
    this.#heartbeat.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = null;
    for (const watch of this.#watches.splice(0)) watch.stop();
    // Gone at once for the others, rather than when its record expires.
    if (this.#self && this.#bucket && this.#options.link.connected) await this.#bucket.delete(this.#options.nodeName).catch(() => undefined);
    this.#self = null;
  }

  /** Writes this node's record; resolves with its revision (0 when it could not be written: the link is down, the next beat tries again). */
  async #beat(): Promise<number> {
    const self = this.#self;
    const bucket = this.#bucket;
    if (!self || !bucket || this.#stopped) return 0;
    try {
      return await this.#put(self, bucket);
    } catch {
      return 0;
    }
  }

  /**
   * The join's first record, tried again a few times (a stream leader's election takes seconds): a node whose
   * record cannot be written would run unseen by the others, so it refuses to start instead.
   */
  async #firstBeat(self: NodeIntroduction, bucket: KV): Promise<number> {
    let lastError: unknown = null;
    for (let attempt = 1; attempt <= JOIN_ATTEMPTS; attempt++) {
      if (this.#stopped) break;
      try {
        return await this.#put(self, bucket);
      } catch (error) {
        lastError = error;
      }
      if (attempt < JOIN_ATTEMPTS) await new Promise<void>((resolve) => this.#options.clock.setTimeout(resolve, JOIN_RETRY_MS));
    }
    const why = this.#stopped ? 'the node stopped' : lastError instanceof Error ? lastError.message : String(lastError);
    throw new StoreUnavailableError(
      `This node could not write its record to the cluster's node registry (KV bucket ${this.#options.name}-nodes) in ${JOIN_ATTEMPTS} tries over ${((JOIN_ATTEMPTS - 1) * JOIN_RETRY_MS) / 1000} s (${why}), ` +
        'so it does not start rather than run unseen by the other nodes; are enough NATS servers running with JetStream?',
      { cause: lastError },
    );
  }

  /** Writes this node's record now; rejects when it cannot (never buffered while the link is down). */
  async #put(self: NodeIntroduction, bucket: KV): Promise<number> {
    if (!this.#options.link.connected) throw new Error('not connected to NATS');
    if (!this.#leasesWatched) await this.#watchLeases();
    const record: NodeRecord = {
      name: this.#options.nodeName,
      startedAt: self.startedAt,
      version: self.version,
      listening: self.listening(),
      jobs: [...self.jobs()],
      keyCheck: self.keyCheck,
      seenAt: this.#options.clock.now(),
    };
    return bucket.put(this.#options.nodeName, JSON.stringify(record));
  }

  #refuseOtherKey(records: readonly Heard<NodeRecord>[], keyCheck: string, before: number): void {
    const other = records.find(({ value, revision }) => value.name !== this.#options.nodeName && value.keyCheck !== keyCheck && revision < before);
    if (!other) return;
    const node = other.value.name;
    throw new ClusterKeyMismatchError(
      `This node's service key (keys/service.key in its data directory) is not the one node ${node} and the rest of the cluster use; ` +
        `every node of a cluster must share it. Stop this node, copy keys/service.key from node ${node}'s data directory into this one's (mode 0600), and start it again`,
    );
  }

  async #liveRecords(bucket: KV): Promise<Heard<NodeRecord>[]> {
    const records: Heard<NodeRecord>[] = [];
    const now = this.#options.clock.now();
    for await (const key of await bucket.keys()) {
      const entry = await bucket.get(key);
      const value = entry && entry.operation === 'PUT' ? parseNodeRecord(jsonOf(entry)) : null;
      if (entry && value) records.push({ value, revision: entry.revision, heardAt: now });
    }
    return records;
  }

  #nodeChanged(entry: KvEntry): void {
    const value = entry.operation === 'PUT' ? parseNodeRecord(jsonOf(entry)) : null;
    if (value && value.name === entry.key) this.#nodes.set(entry.key, { value, revision: entry.revision, heardAt: this.#options.clock.now() });
    else this.#nodes.delete(entry.key);
  }

  /** Watches the leases' bucket once the jobs part has made it; until then, tried again at each heartbeat. */
  async #watchLeases(): Promise<void> {
    try {
      const leases = await new Kvm(this.#options.link.connection).open(`${this.#options.name}-leases`);
      await this.#watch(leases, (entry) => {
        const json = entry.operation === 'PUT' ? jsonOf(entry) : null;
        const holder = leaseHolderOf(json);
        if (holder) this.#leases.set(entry.key, { value: { ...holder, jobId: leaseJobIdOf(entry.key, json) }, revision: entry.revision, heardAt: this.#options.clock.now() });
        else this.#leases.delete(entry.key);
      });
      this.#leasesWatched = true;
    } catch {
      // No leases bucket yet: no shared job has been taken.
    }
  }

  async #watch(bucket: KV, onEntry: (entry: KvEntry) => void): Promise<void> {
    const watch = await bucket.watch({ key: '>' });
    this.#watches.push(watch);
    void (async () => {
      try {
        for await (const entry of watch) onEntry(entry);
      } catch {
        // The watch ends with the connection; the registry stops with it.
      }
    })();
  }

  #requireBucket(): KV {
    if (!this.#bucket) throw new Error('The node registry has not started');
    return this.#bucket;
  }
}

function jsonOf(entry: KvEntry): unknown {
  try {
    return entry.json();
  } catch {
    return null;
  }
}

/** A lease's job: the value's `jobId` when the jobs part writes one, else the key. */
function leaseJobIdOf(key: string, value: unknown): string {
  const jobId = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)['jobId'] : undefined;
  return typeof jobId === 'string' ? jobId : key;
}

