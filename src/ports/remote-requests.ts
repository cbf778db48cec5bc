import type { Command, CommandResults } from '../protocol/commands.ts';
import type { ErrorShape } from '../errors/safekeep-error.ts';

/**
 * Requests carried to another node of the cluster (the one that runs the job
 * a request is about) and their answers carried back: over NATS subjects in
 * a cluster. The node that receives one handles it as its own.
 */
export interface RemoteRequests {
  /** Sends `command` to `node` and resolves with its answer; rejects when the node cannot be reached in `timeoutMs`. */
  send(node: string, command: Command, context: { readonly clientAddress: string; readonly timeoutMs: number }): Promise<RemoteAnswer>;
  /**
   * Which other node runs a job this node's catalog does not hold (each node
   * keeps its own with `--store lowdb`), as the live nodes say: by job id, or
   * for `null` (a request without a job) the first job of the first node by
   * name that runs one. Null when no other node does. Asked through the port,
   * not read from the view, so a recording holds the answer and a replay
   * routes the same way.
   */
  locate(job: string | null): Promise<RemoteJob | null>;
}

/** A job another node runs: the node, and the job's id there. */
export interface RemoteJob {
  readonly node: string;
  readonly jobId: string;
}

export type RemoteAnswer =
  | { readonly ok: true; readonly result: CommandResults[keyof CommandResults] }
  | { readonly ok: false; readonly error: ErrorShape };
