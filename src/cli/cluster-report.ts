import type { ClusterStatus } from '../cluster/cluster-status.ts';
import { formatDuration } from './human-format.ts';
import { renderTable } from './text-table.ts';

/**
 * The Cluster section of `safekeep status`: this node and its link to NATS,
 * the live nodes (when each was last heard, where it listens, what it runs),
 * the shared jobs' leases, and which node runs which job.
 *
 * @example
 * process.stdout.write(renderCluster(status.cluster, Date.now()));
 */
export function renderCluster(cluster: ClusterStatus, now: number): string {
  const link = cluster.connected ? `connected to NATS at ${cluster.server ?? '?'}` : 'NOT connected to NATS: writes are refused until it reconnects';
  const head = `Cluster: this is node ${cluster.node}, ${link}\n`;
  const nodes = renderTable(
    [{ heading: 'NODE' }, { heading: 'SEEN' }, { heading: 'LISTENING' }, { heading: 'VERSION' }, { heading: 'JOBS', right: true }],
    cluster.nodes.map((node) => [
      node.name === cluster.node ? `${node.name} (this)` : node.name,
      `${formatDuration(Math.max(0, now - node.seenAt))} ago`,
      node.listening ? `${node.listening.host}:${node.listening.port}` : '-',
      node.version,
      String(node.jobs.length),
    ]),
  );
  const jobs =
    cluster.jobs.length === 0
      ? 'No jobs in the cluster.\n'
      : renderTable(
          [{ heading: 'JOB' }, { heading: 'RUNS ON' }, { heading: 'LAST HEARD' }],
          cluster.jobs.map((job) => [job.jobId, job.runsOn ?? 'nobody (waiting for a lease)', job.heard ? `${job.heard.state}${job.heard.lastRun ? `, last run ${job.heard.lastRun.outcome}` : ''}` : '-']),
        );
  const leases =
    cluster.leases.length === 0 ? 'Leases: none.\n' : `Leases:\n${cluster.leases.map((lease) => `  ${lease.jobId} held by ${lease.node}\n`).join('')}`;
  return `${head}\n${cluster.nodes.length === 0 ? 'No live nodes heard yet.\n' : nodes}\n${jobs}\n${leases}`;
}
