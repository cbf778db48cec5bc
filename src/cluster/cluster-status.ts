import type { ClusterNode, ClusterSnapshot } from '../ports/cluster-view.ts';

/** The cluster as `status` and the status page show it. */
export interface ClusterStatus {
  /** This node's name. */
  readonly node: string;
  /** Whether this node is connected to NATS now. */
  readonly connected: boolean;
  /** The NATS server it is connected to, when connected. */
  readonly server: string | null;
  /** The live nodes, this one included, by name. */
  readonly nodes: readonly ClusterNode[];
  /** The shared jobs' leases. */
  readonly leases: readonly { readonly jobId: string; readonly node: string }[];
  /** Every job known here (this node's catalog and the live nodes' lists), with the node that runs it (null: none now). */
  readonly jobs: readonly ClusterJob[];
}

export interface ClusterJob {
  readonly jobId: string;
  readonly runsOn: string | null;
  /** For a job another node runs: what its events said last (none heard yet: absent). */
  readonly heard?: RemoteJobHeard;
}

/**
 * The cluster's part of `status`: the view's snapshot, and per job the node
 * that runs it: as placement says for the jobs of this node's catalog, as
 * the live nodes say for the others.
 */
export function clusterStatus(snapshot: ClusterSnapshot, localJobs: readonly { readonly jobId: string; readonly runsOn: string | null }[], heard: (jobId: string) => RemoteJobHeard | undefined): ClusterStatus {
  const jobs = new Map<string, ClusterJob>();
  const withHeard = (jobId: string, runsOn: string | null): ClusterJob => {
    const last = runsOn === snapshot.node ? undefined : heard(jobId);
    return last ? { jobId, runsOn, heard: last } : { jobId, runsOn };
  };
  for (const { jobId, runsOn } of localJobs) jobs.set(jobId, withHeard(jobId, runsOn));
  for (const node of snapshot.nodes) {
    for (const jobId of node.jobs) if (!jobs.has(jobId) || jobs.get(jobId)?.runsOn === null) jobs.set(jobId, withHeard(jobId, node.name));
  }
  return {
    node: snapshot.node,
    connected: snapshot.connected,
    server: snapshot.server,
    nodes: snapshot.nodes,
    leases: snapshot.leases.map(({ jobId, node }) => ({ jobId, node })),
    jobs: [...jobs.values()],
  };
}

/** What this node last heard of a job another node runs, from that node's `backup.*` events. */
export interface RemoteJobHeard {
  readonly jobId: string;
  readonly node: string;
  /** Where the job stands, as the last event says: `scheduled`, `copying`, `paused`, `failed`, `removed`. */
  readonly state: 'scheduled' | 'copying' | 'paused' | 'failed' | 'removed';
  /** Its last run's end: when, and how it went (`copied`, `unchanged`, `failed`), or null when none was heard. */
  readonly lastRun: { readonly at: number; readonly outcome: 'copied' | 'unchanged' | 'failed'; readonly versionId: string | null } | null;
  /** The last few events heard, newest last: name and time (the event's own `at`, else its `dueAt`, else null). */
  readonly recent: readonly { readonly name: string; readonly at: number | null }[];
}
