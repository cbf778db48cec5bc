import { formatInterval } from '../backup/interval.ts';
import { describeRetention } from '../backup/retention-policy.ts';
import type { JobStatus } from '../host/host.ts';

/** The one line printed once the service is up: where it listens and what it backs up. */
export function startupLine(address: { host: string; port: number } | null, jobs: readonly JobStatus[], backupDir: string): string {
  const where = address ? `safekeep listening on ${address.host}:${address.port}` : 'safekeep running without a socket';
  const active = jobs.filter((job) => job.state !== 'inactive');
  if (active.length === 0) return `${where}; no backup job (give --source PATH to back up a file)`;
  const described = active.map(
    (job) => `${job.sourcePath} every ${formatInterval(job.intervalMs)} as '${job.id}' (${describeRetention(job.retention)})`,
  );
  return `${where}; backing up ${described.join(', ')} into ${backupDir}`;
}
