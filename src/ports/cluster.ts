import type { ClusterView } from './cluster-view.ts';
import type { HostAdapter } from './host-adapter.ts';
import type { JobLeases } from './job-leases.ts';
import type { RemoteRequests } from './remote-requests.ts';
import type { VersionBlobs } from './version-blobs.ts';

/**
 * The edge a clustered host stands on (NATS JetStream): one connection, and
 * what the host uses it for. Started before the store, stopped after it.
 */
export interface ClusterAdapter extends HostAdapter {
  /** This node's name in the cluster. */
  readonly node: string;
  /** The cluster-wide store (answers `store.command`), or null with `--store lowdb`. Started by the host, after this adapter. */
  readonly store: (HostAdapter & { countNow(collection: string): number }) | null;
  /** Versions' bytes in the object store, or null with `--version-store local`. */
  readonly blobs: VersionBlobs | null;
  readonly leases: JobLeases;
  readonly remote: RemoteRequests;
  readonly view: ClusterView;
}
