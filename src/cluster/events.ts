/**
 * Bus events of a clustered host. `cluster.link` and `cluster.remote` come
 * from the NATS adapter (edge inputs: a replay feeds them in); `cluster.lease`
 * is the host's own account of the shared jobs it takes and loses.
 */

/** The node's connection to NATS changed: `disconnected` means writes are refused until `reconnected`. */
export interface ClusterLink {
  readonly state: 'connected' | 'disconnected' | 'reconnected' | 'closed';
  /** The server it is connected to now (`host:port`), when connected. */
  readonly server?: string;
}

/** An event another node published on its bus (a `backup.*` event), as it arrived. */
export interface ClusterRemoteEvent {
  readonly node: string;
  readonly name: string;
  readonly payload: unknown;
}

/** This node took, kept or lost the lease of a shared job. */
export interface ClusterLease {
  readonly jobId: string;
  readonly state: 'taken' | 'lost' | 'released';
  readonly node: string;
  readonly at: number;
}
