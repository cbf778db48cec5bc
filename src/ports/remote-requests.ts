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
}

export type RemoteAnswer =
  | { readonly ok: true; readonly result: CommandResults[keyof CommandResults] }
  | { readonly ok: false; readonly error: ErrorShape };
