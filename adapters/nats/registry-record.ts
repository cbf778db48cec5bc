/**
 * A node's record in the registry bucket (`${name}-nodes`, key = node name),
 * rewritten at each heartbeat. Read from the wire as untrusted data: a record
 * that is not one is ignored.
 */
export interface NodeRecord {
  readonly name: string;
  readonly startedAt: number;
  readonly version: string;
  readonly listening: { readonly host: string; readonly port: number } | null;
  readonly jobs: readonly string[];
  readonly keyCheck: string;
  /** When the node wrote it, on its own clock (shown; expiry goes by when this node heard it, as clocks differ). */
  readonly seenAt: number;
}

export function parseNodeRecord(value: unknown): NodeRecord | null {
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  const { name, startedAt, version, listening, jobs, keyCheck, seenAt } = record;
  if (typeof name !== 'string' || typeof startedAt !== 'number' || typeof version !== 'string' || typeof keyCheck !== 'string' || typeof seenAt !== 'number') return null;
  if (!Array.isArray(jobs) || !jobs.every((job) => typeof job === 'string')) return null;
  const address = listening as Record<string, unknown> | null;
  const validListening = address === null || (typeof address === 'object' && typeof address['host'] === 'string' && typeof address['port'] === 'number');
  if (!validListening) return null;
  return { name, startedAt, version, listening: address === null ? null : { host: address['host'] as string, port: address['port'] as number }, jobs: jobs as string[], keyCheck, seenAt };
}

/** The holder in a lease's value: the jobs part writes JSON with `node` and `at` (when the holder last wrote it; see lease-keys.ts), shown as `renewedAt`. */
export function leaseHolderOf(value: unknown): { node: string; renewedAt: number } | null {
  if (typeof value !== 'object' || value === null) return null;
  const { node, at } = value as Record<string, unknown>;
  if (typeof node !== 'string') return null;
  return { node, renewedAt: typeof at === 'number' ? at : 0 };
}
