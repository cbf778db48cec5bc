/**
 * What this node knows of the cluster, for the operator (`status`, the page):
 * which nodes are alive, and which node runs which job.
 */
export interface ClusterView {
  /** What is known now, from memory (no NATS round trip): cheap enough for every status request. */
  snapshot(): ClusterSnapshot;
  /**
   * Checks that this node holds the same service key as the cluster's live
   * nodes (rejects with ClusterKeyMismatchError otherwise). Made before the
   * node loads its catalog, writes anything or serves: a node with another
   * key refuses to start.
   */
  checkKey(keyCheck: string): Promise<void>;
  /**
   * Makes this node one of the cluster's live nodes (rejects with
   * StoreUnavailableError when its record cannot be written after a few
   * tries), checking the key again against any node that joined since
   * `checkKey`; from then on it says it is alive every few seconds until it stops.
   */
  join(self: NodeIntroduction): Promise<void>;
}

/** What a node tells the others about itself when it joins. */
export interface NodeIntroduction {
  readonly startedAt: number;
  readonly version: string;
  /** HMAC-SHA256 of its service key (src/cluster/key-check.ts): equal on every node of one cluster. */
  readonly keyCheck: string;
  /** Where its socket listens now, asked at each heartbeat. */
  readonly listening: () => { readonly host: string; readonly port: number } | null;
  /** The ids of the jobs it runs now, asked at each heartbeat. */
  readonly jobs: () => readonly string[];
}

export interface ClusterSnapshot {
  /** This node's name. */
  readonly node: string;
  /** Whether this node is connected to NATS now (writes are refused while it is not). */
  readonly connected: boolean;
  /** The NATS server it is connected to (`host:port`), when connected. */
  readonly server: string | null;
  /** Every node heard from recently, this one included, by name. */
  readonly nodes: readonly ClusterNode[];
  /** The shared jobs' leases: who holds which. */
  readonly leases: readonly { readonly jobId: string; readonly node: string; readonly renewedAt: number }[];
}

export interface ClusterNode {
  readonly name: string;
  /** When it last said it was alive (ms since the epoch). */
  readonly seenAt: number;
  readonly startedAt: number;
  readonly version: string;
  /** Where its socket listens, if it has one. */
  readonly listening: { readonly host: string; readonly port: number } | null;
  /** The jobs it runs now. */
  readonly jobs: readonly string[];
}
