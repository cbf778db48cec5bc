import { formatInterval } from '../backup/interval.ts';
import { describeRetention } from '../backup/retention-policy.ts';
import type { JobStatus } from '../host/host.ts';

/** The one line printed once the service is up: where it listens and what it backs up. */
export function startupLine(
  address: { host: string; port: number } | null,
  jobs: readonly JobStatus[],
  backupDir: string,
  http: { host: string; port: number } | null = null,
): string {
  const listening = address ? `safekeep listening on ${address.host}:${address.port}` : 'safekeep running without a socket';
  const where = http ? `${listening}; status page at ${httpUrl(http)}` : listening;
  const active = jobs.filter((job) => job.state !== 'inactive');
  if (active.length === 0) return `${where}; no backup job (give --source PATH to back up a file)`;
  const described = active.map(
    (job) => `${job.sourcePath} every ${formatInterval(job.intervalMs)} as '${job.id}' (${describeRetention(job.retention)})`,
  );
  return `${where}; backing up ${described.join(', ')} into ${backupDir}`;
}

/** The page's URL: an IPv6 host goes in brackets. */
export function httpUrl(address: { host: string; port: number }): string {
  return `http://${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}/`;
}

/** Whether `host` is only reachable from this machine (the status page has no login, so anything else gets a warning). */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
