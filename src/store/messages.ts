import type { ErrorShape } from '../errors/safekeep-error.ts';

/**
 * The store's stream contract. Whoever needs data emits a `store.command`; the
 * store adapter answers every command with one `store.result` carrying the
 * same `commandId`, and answers a write only once it is durable on disk.
 *
 * Data is kept in named collections of JSON documents, each under a string key.
 */
export type StoreCommand =
  | ({ readonly commandId: string; readonly op: 'put'; readonly collection: string; readonly key: string; readonly value: unknown } & Conditional)
  | ({ readonly commandId: string; readonly op: 'delete'; readonly collection: string; readonly key: string } & Conditional)
  /** Several writes, to any collections, that become durable together or not at all. */
  | ({ readonly commandId: string; readonly op: 'batch'; readonly writes: readonly StoreWrite[] } & Conditional)
  /**
   * With `allowStale`, a store several processes write (the cluster's) may
   * answer from what this process holds now, without first catching up with
   * writes acknowledged elsewhere, and says where it stood (`at`): a write
   * made with `ifUnchangedSince: at` then proves the answer was the latest.
   * A store whose answers are always the latest (lowdb) ignores it and gives
   * no `at`.
   */
  | { readonly commandId: string; readonly op: 'get'; readonly collection: string; readonly key: string; readonly allowStale?: true }
  /** Every document of a collection, or with `group` only those whose key is `groupKey(group, …)` (group-key.ts). */
  | { readonly commandId: string; readonly op: 'list'; readonly collection: string; readonly group?: string }
  /** Every key of a collection (or of one group), without reading documents out. */
  | { readonly commandId: string; readonly op: 'keys'; readonly collection: string; readonly group?: string }
  | { readonly commandId: string; readonly op: 'count'; readonly collection: string };

/**
 * A write made only if nothing at all was written to the store since `at`
 * (from a read's answer), refused otherwise with STORE_CONFLICT and nothing
 * written: the read it was computed from was the latest. Only a store that
 * gives `at` takes it.
 */
interface Conditional {
  readonly ifUnchangedSince?: number;
}

/** One write of a `batch`. */
export type StoreWrite =
  | { readonly op: 'put'; readonly collection: string; readonly key: string; readonly value: unknown }
  | { readonly op: 'delete'; readonly collection: string; readonly key: string };


export type StoreOp = StoreCommand['op'];

export type StoreResult =
  | {
      readonly commandId: string;
      readonly ok: true;
      readonly value?: unknown;
      /** Where the store stood for an `allowStale` read (the cluster's stream sequence): what a conditional write names. */
      readonly at?: number;
      /** On a whole-collection answer (list, keys, count): shards left out because they could not be read. */
      readonly damagedShards?: readonly string[];
    }
  | { readonly commandId: string; readonly ok: false; readonly error: ErrorShape };

/**
 * A checkpoint (folding the log into the shard files) failed: nothing is
 * lost, the log keeps every write, but it and the start's replay grow until
 * one succeeds; the store tries again on a backoff. `detail` (paths, the OS
 * error's words) is for the log only.
 */
export interface StoreCheckpointFailed {
  readonly message: string;
  readonly detail?: string;
}

/**
 * A store file found damaged (not valid JSON, not a shard): the documents in
 * it are out of reach until it is repaired or restored, the rest of the
 * collection keeps working. `message` names the collection and shard and may
 * reach clients; `detail` (the file's path) is for the log only.
 */
export interface StoreDamaged {
  readonly collection: string;
  readonly shard: string;
  readonly message: string;
  readonly detail?: string;
}

/**
 * A document changed in a store other processes write too (the cluster's
 * JetStream KV): another node's write, as this node's store saw it. The
 * host's in-memory views (the backup catalog) apply it. This node's own
 * writes are not told this way: their commands' results are.
 */
export interface StoreChanged {
  readonly collection: string;
  readonly key: string;
  /** The document now; absent when it was deleted. */
  readonly value?: unknown;
  readonly deleted?: true;
}
