import type { Command } from '../protocol/commands.ts';

/**
 * The commands about one job that must be carried out where the job runs:
 * they copy, restore, pause or remove on that node's disk and scheduler. The
 * host routes them; a node takes only these off the wire from another node.
 */
export const ROUTED_COMMAND_KINDS: ReadonlySet<string> = new Set<Command['kind']>(['backup.run', 'job.pause', 'job.resume', 'job.remove', 'backup.restore', 'backup.forget']);

export type RoutedCommand = Extract<Command, { kind: 'backup.run' | 'job.pause' | 'job.resume' | 'job.remove' | 'backup.restore' | 'backup.forget' }>;

export function isRouted(command: Command): command is RoutedCommand {
  return ROUTED_COMMAND_KINDS.has(command.kind);
}

/** How a request that came from another node names its client: `node:<that node>/<its client's address>`. */
export const FROM_NODE = 'node:';

export function fromNodeAddress(node: string, clientAddress: string): string {
  return `${FROM_NODE}${node}/${clientAddress}`;
}
