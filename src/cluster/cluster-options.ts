import { SafekeepError } from '../errors/safekeep-error.ts';
import { natsServerList } from './nats-server-urls.ts';

/**
 * How a host joins a safekeep cluster on NATS JetStream (`--cluster`). Without
 * these options nothing of NATS is loaded and nothing changes.
 */
export interface ClusterOptions {
  /**
   * NATS servers to connect to, `nats://HOST:PORT` (any of the cluster's; the client learns the rest), optionally
   * with credentials: `nats://USER:PASSWORD@HOST:PORT` or `nats://TOKEN@HOST:PORT` (one set for all of them).
   */
  readonly servers: readonly string[];
  /**
   * This node's name, unique in the cluster: what leases, versions and `status` name it by; 1 to 64 letters,
   * digits, '-' or '_' (it is a NATS subject token and a KV key). Default: the machine's host name with every
   * other character made '-' (`db1.example.com` → `db1-example-com`), cut to 64.
   */
  readonly nodeName?: string;
  /** Where the book and the backup catalog live: `nats` (JetStream KV, shared by every node; the default with a cluster) or `lowdb` (this node's own). */
  readonly store?: 'nats' | 'lowdb';
  /** Replicas of every JetStream bucket safekeep makes (KV and object store); default 3, 1 on a single-server NATS. */
  readonly replicas?: number;
  /** Where versions' bytes are kept: `local` (this node's backup folder only; the default) or `nats` (also in a JetStream object store, so any node can serve them). */
  readonly versionStore?: 'local' | 'nats';
  /** How long a shared job's lease lasts without renewal; default 10 s. Another node takes the job over when it runs out. */
  readonly leaseTtlMs?: number;
  /** Prefix of every bucket and subject safekeep uses, so several clusters can share one NATS; default `safekeep`. */
  readonly name?: string;
}

export interface ResolvedClusterOptions {
  readonly servers: readonly string[];
  readonly nodeName: string;
  readonly store: 'nats' | 'lowdb';
  readonly replicas: number;
  readonly versionStore: 'local' | 'nats';
  readonly leaseTtlMs: number;
  readonly name: string;
}

export const DEFAULT_LEASE_TTL_MS = 10_000;
export const DEFAULT_REPLICAS = 3;
export const DEFAULT_CLUSTER_NAME = 'safekeep';

/** What a node name may be: safe as a NATS subject token and as a KV key. */
export const NODE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** A cluster option that cannot work (an embedder's: the CLI checks its flags before). */
export class InvalidClusterOptionsError extends SafekeepError {
  readonly code = 'INVALID_OPTIONS';
}

/**
 * The node name a host name gives: every character a node name may not hold becomes '-', cut to 64
 * (a FQDN's dots would split NATS subjects and KV keys). An empty host name gives `node`.
 *
 * @example
 * nodeNameOf('db1.example.com'); // 'db1-example-com'
 */
export function nodeNameOf(hostName: string): string {
  const name = hostName.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 64);
  return name === '' ? 'node' : name;
}

/** The options with their defaults; throws InvalidClusterOptionsError for a server URL or an explicit `nodeName` that cannot work. */
export function resolveClusterOptions(options: ClusterOptions, hostName: string): ResolvedClusterOptions {
  const list = natsServerList(options.servers);
  if ('why' in list) {
    // Never the URL itself: it may hold a password.
    throw new InvalidClusterOptionsError(`Cluster server ${list.position} of ${options.servers.length} is wrong (${list.why}): give NATS servers such as nats://127.0.0.1:4222`);
  }
  if (options.nodeName !== undefined && !NODE_NAME_PATTERN.test(options.nodeName)) {
    throw new InvalidClusterOptionsError(`The cluster node name '${options.nodeName}' is not one: 1 to 64 letters, digits, '-' or '_'`);
  }
  return {
    servers: options.servers,
    nodeName: options.nodeName ?? nodeNameOf(hostName),
    store: options.store ?? 'nats',
    replicas: options.replicas ?? DEFAULT_REPLICAS,
    versionStore: options.versionStore ?? 'local',
    leaseTtlMs: options.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS,
    name: options.name ?? DEFAULT_CLUSTER_NAME,
  };
}
