import { randomUUID } from 'node:crypto';
import { jetstream, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection, QueuedIterator } from '@nats-io/transport-node';
import type { Clock } from '../../src/clock/clock.ts';
import { ClusterConfigMismatchError } from '../../src/cluster/cluster-errors.ts';
import type { JobLeases, LeaseHold } from '../../src/ports/job-leases.ts';
import { StoreUnavailableError } from '../../src/store/errors.ts';
import { bucketReplicas } from './lease-bucket.ts';
import { isWrongLastSequence } from './jetstream-errors.ts';
import { jobIdOfLeaseKey, leaseKey, parseLeaseRecord, type LeaseRecord } from './lease-keys.ts';
import type { NatsLink } from './nats-link.ts';

export interface KvLeasesOptions {
  readonly link: NatsLink;
  readonly name: string;
  readonly nodeName: string;
  readonly replicas: number;
  readonly leaseTtlMs: number;
  readonly clock: Pick<Clock, 'now'>;
}

/** How long one JetStream request (making the bucket, reading a lease) may take. */
const REQUEST_TIMEOUT_MS = 5_000;

/** How long opening or making the bucket may take, tries included (a cluster starting with the nodes may need seconds for a quorum). */
const OPEN_TIMEOUT_MS = 20_000;

/** Longest a lease write may take before it counts as failed: well inside a renewal period, so a slow write cannot eat the lease. */
const MAX_WRITE_TIMEOUT_MS = 2_000;

/**
 * Shared jobs' leases in the JetStream KV bucket `${name}-leases`, whose
 * bucket TTL (stream max_age) is the lease TTL: every write of a key resets
 * its age, and a key nobody rewrites within the TTL is gone. (Per-key TTL
 * would be the natural tool, but nats-server 2.9 ignores it silently.)
 *
 * `acquire` creates the key (the server refuses when it exists); `renew` and
 * `release` compare and set against the revision this node last wrote, so a
 * node whose lease ran out and was taken can never write over the new holder.
 */
export class KvLeases implements JobLeases {
  readonly #link: NatsLink;
  readonly #bucket: string;
  readonly #node: string;
  readonly #replicas: number;
  readonly #ttlMs: number;
  readonly #clock: Pick<Clock, 'now'>;
  /** A lease write that has not answered by then failed: a renewal that hangs must fail while the lease still has time left. */
  readonly #writeTimeoutMs: number;
  /** A look at every lease that has not answered by then failed (a renewal period, as the lease loop allows it; at least 1 s): the loop looks again later. */
  readonly #readTimeoutMs: number;
  /** This node's current hold token per job, so a write whose reply was lost can be recognised as ours. */
  readonly #tokens = new Map<string, string>();
  #kv: KV | null = null;

  constructor(options: KvLeasesOptions) {
    this.#link = options.link;
    this.#bucket = `${options.name}-leases`;
    this.#node = options.nodeName;
    this.#replicas = options.replicas;
    this.#ttlMs = options.leaseTtlMs;
    this.#clock = options.clock;
    this.#writeTimeoutMs = Math.max(500, Math.min(MAX_WRITE_TIMEOUT_MS, Math.floor(options.leaseTtlMs / 3)));
    this.#readTimeoutMs = Math.max(1_000, Math.min(REQUEST_TIMEOUT_MS, Math.floor(options.leaseTtlMs / 3)));
  }

  /** Opens (or makes) the bucket. Refuses a bucket made with another TTL: every node of a cluster must use the same `--lease-ttl`. */
  async open(): Promise<void> {
    const connection = this.#link.connection;
    // Making the bucket may take seconds (an R3 stream); the lease writes get short timeouts of their own (see #writeTimeoutMs).
    const kvm = new Kvm(jetstream(connection, { timeout: REQUEST_TIMEOUT_MS }));
    // Nodes starting together may all find no bucket and all make it (the losers open the winner's), and a
    // cluster that is starting too may have no JetStream quorum yet: keep trying for a while before giving up.
    const giveUpAt = Date.now() + OPEN_TIMEOUT_MS;
    for (;;) {
      try {
        const { kv, ttl } = await this.#openOrMake(kvm, connection);
        if (ttl !== this.#ttlMs) {
          throw new ClusterConfigMismatchError(
            `The cluster's leases have a TTL of ${ttl} ms, but this node was started with --lease-ttl ${this.#ttlMs} ms; every node of a cluster must use the same lease TTL`,
          );
        }
        this.#kv = kv;
        return;
      } catch (error) {
        if (error instanceof ClusterConfigMismatchError || Date.now() > giveUpAt) throw error instanceof ClusterConfigMismatchError ? error : unavailable('open the leases bucket', error);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  async #openOrMake(kvm: Kvm, connection: NatsConnection): Promise<{ kv: KV; ttl: number }> {
    try {
      // open() is lazy: status() is what finds out whether the bucket exists.
      const kv = await kvm.open(this.#bucket);
      return { kv, ttl: (await kv.status()).ttl };
    } catch (error) {
      if (!isStreamNotFound(error)) throw error;
      const kv = await kvm.create(this.#bucket, { replicas: bucketReplicas(connection, this.#replicas), ttl: this.#ttlMs, history: 1 });
      return { kv, ttl: this.#ttlMs };
    }
  }

  async acquire(jobId: string): Promise<LeaseHold | null> {
    const kv = this.#open();
    const token = randomUUID();
    const key = leaseKey(jobId);
    try {
      const revision = await this.#withTimeout(kv.create(key, this.#record(jobId, token)));
      this.#tokens.set(jobId, token);
      return { jobId, node: this.#node, revision };
    } catch (error) {
      if (!isWrongLastSequence(error) && !isTimeout(error)) throw unavailable(`take the lease of job '${jobId}'`, error);
      // Held — or our own create went through and only its reply was lost: then the record carries our token.
      const entry = await kv.get(key).catch((cause: unknown) => Promise.reject(unavailable(`read the lease of job '${jobId}'`, cause)));
      const record = entry && entry.operation === 'PUT' ? parseLeaseRecord(entry.string()) : null;
      if (record && record.node === this.#node && record.hold === token) {
        this.#tokens.set(jobId, token);
        return { jobId, node: this.#node, revision: entry!.revision };
      }
      if (record && entry && record.node === this.#node && record.hold === this.#tokens.get(jobId)) {
        // Still ours from an earlier hold this process gave up (it could not renew in time, e.g. through a stream
        // leader's election) and nobody took since. Taken back by rewriting it: its age starts again now, as
        // the caller's trust in the hold does (the old write's age is unknown here).
        const revision = await kv
          .update(key, this.#record(jobId, record.hold), entry.revision, this.#writeTimeoutMs)
          .catch((cause: unknown) => (isWrongLastSequence(cause) ? null : Promise.reject(unavailable(`take the lease of job '${jobId}'`, cause))));
        return revision === null ? null : { jobId, node: this.#node, revision };
      }
      if (isTimeout(error)) throw unavailable(`take the lease of job '${jobId}'`, error);
      return null;
    }
  }

  async renew(hold: LeaseHold): Promise<LeaseHold | null> {
    const kv = this.#open();
    const token = this.#tokens.get(hold.jobId);
    if (token === undefined) return null;
    const key = leaseKey(hold.jobId);
    try {
      const revision = await kv.update(key, this.#record(hold.jobId, token), hold.revision, this.#writeTimeoutMs);
      return { ...hold, revision };
    } catch (error) {
      if (!isWrongLastSequence(error) && !isTimeout(error)) throw unavailable(`renew the lease of job '${hold.jobId}'`, error);
      // A stale revision: lost — unless a renewal of ours went through whose reply never came.
      const entry = await kv.get(key).catch((cause: unknown) => Promise.reject(unavailable(`read the lease of job '${hold.jobId}'`, cause)));
      const record = entry && entry.operation === 'PUT' ? parseLeaseRecord(entry.string()) : null;
      if (record && record.node === this.#node && record.hold === token && entry) {
        if (entry.revision === hold.revision) throw unavailable(`renew the lease of job '${hold.jobId}'`, error);
        return this.renew({ ...hold, revision: entry.revision });
      }
      this.#tokens.delete(hold.jobId);
      return null;
    }
  }

  async release(hold: LeaseHold): Promise<void> {
    const kv = this.#open();
    if (this.#tokens.get(hold.jobId) === undefined) return;
    this.#tokens.delete(hold.jobId);
    try {
      await this.#withTimeout(kv.delete(leaseKey(hold.jobId), { previousSeq: hold.revision }));
    } catch (error) {
      // Not ours any more: nothing to give up.
      if (isWrongLastSequence(error)) return;
      throw unavailable(`release the lease of job '${hold.jobId}'`, error);
    }
  }

  async holders(): Promise<Record<string, { node: string; renewedAt: number }>> {
    const kv = this.#open();
    let listing: QueuedIterator<string> | null = null;
    const read = async () => {
      listing = await kv.keys();
      const keys: string[] = [];
      for await (const key of listing) keys.push(key);
      const holders: Record<string, { node: string; renewedAt: number }> = {};
      await Promise.all(
        keys.map(async (key) => {
          const entry = await kv.get(key);
          const record = entry && entry.operation === 'PUT' ? parseLeaseRecord(entry.string()) : null;
          if (record) holders[record.jobId || jobIdOfLeaseKey(key)] = { node: record.node, renewedAt: record.at };
        }),
      );
      return holders;
    };
    try {
      // keys() is an ordered consumer, which can wait forever for a server that died: the read gives up after its limit.
      return await this.#withTimeout(read(), this.#readTimeoutMs);
    } catch (error) {
      (listing as QueuedIterator<string> | null)?.stop();
      throw unavailable('read the leases', error);
    }
  }

  #open(): KV {
    if (!this.#kv) throw new StoreUnavailableError('The leases bucket is not open (the cluster link has not started)');
    // While the link is down the client would buffer the write and send it late: refuse at once instead.
    if (!this.#link.connected) throw new StoreUnavailableError('This node has lost its connection to the NATS cluster; leases cannot be taken or renewed');
    return this.#kv;
  }

  #record(jobId: string, token: string): string {
    const record: LeaseRecord = { jobId, node: this.#node, at: this.#clock.now(), hold: token };
    return JSON.stringify(record);
  }

  #withTimeout<T>(promise: Promise<T>, limitMs = this.#writeTimeoutMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new LeaseWriteTimeout()), limitMs);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}

class LeaseWriteTimeout extends Error {
  override readonly name = 'TimeoutError';
}

function unavailable(what: string, cause: unknown): StoreUnavailableError {
  if (cause instanceof StoreUnavailableError) return cause;
  const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return new StoreUnavailableError(`Could not ${what}: the NATS cluster did not answer in time or has no JetStream quorum`, { cause, detail });
}

function isStreamNotFound(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound;
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || /timeout/i.test(error.message));
}
