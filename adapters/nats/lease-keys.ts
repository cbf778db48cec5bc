/**
 * KV keys of the leases bucket. Job ids are `[A-Za-z0-9._-]`, but `.`
 * separates the tokens of a KV key (a subject), so it is written `=2E`; job
 * ids never hold `=`, so the mapping is one to one.
 */
export function leaseKey(jobId: string): string {
  return jobId.replaceAll('.', '=2E');
}

export function jobIdOfLeaseKey(key: string): string {
  return key.replaceAll('=2E', '.');
}

/**
 * What a lease record holds (JSON). `jobId` and `node` are all another reader
 * needs (the node registry reads them); `hold` tells this node's own
 * acquisitions apart, so a write whose answer was lost can be recognised.
 */
export interface LeaseRecord {
  readonly jobId: string;
  readonly node: string;
  /** When the holder last wrote it, by the holder's clock (ms since the epoch). */
  readonly at: number;
  readonly hold: string;
}

export function parseLeaseRecord(text: string): LeaseRecord | null {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return null;
    const record = value as Record<string, unknown>;
    if (typeof record['jobId'] !== 'string' || typeof record['node'] !== 'string' || typeof record['at'] !== 'number' || typeof record['hold'] !== 'string') return null;
    return { jobId: record['jobId'], node: record['node'], at: record['at'], hold: record['hold'] };
  } catch {
    return null;
  }
}
