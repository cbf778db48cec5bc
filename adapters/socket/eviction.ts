/**
 * What a connection is doing, as far as giving up its place to a new client
 * goes: `closing` (already ended, lingering), `idle` (nothing on the bus,
 * nothing partly received; or only waiting for the client to read its
 * replies), `partial` (a request begun and not finished, nothing on the bus),
 * or `busy` (requests on the bus, awaiting answers: never evicted).
 */
export interface EvictionRank {
  readonly state: 'closing' | 'idle' | 'partial' | 'busy';
  /** Idle: the last complete request or reply; partial: when the unfinished request began. */
  readonly since: number;
}

const ORDER: Record<EvictionRank['state'], number> = { closing: 0, idle: 1, partial: 2, busy: 3 };

/**
 * The connection to close so that a new client can be served at the
 * connection cap: a closing one, else the longest idle, else the one whose
 * unfinished request began earliest; null when every one is busy.
 *
 * @example
 * pickEvictee(connections, (connection) => connection.evictionRank());
 */
export function pickEvictee<T>(candidates: Iterable<T>, rankOf: (candidate: T) => EvictionRank): T | null {
  let best: { candidate: T; rank: EvictionRank } | null = null;
  for (const candidate of candidates) {
    const rank = rankOf(candidate);
    if (rank.state === 'busy') continue;
    if (!best || ORDER[rank.state] < ORDER[best.rank.state] || (rank.state === best.rank.state && rank.since < best.rank.since)) {
      best = { candidate, rank };
    }
  }
  return best?.candidate ?? null;
}
