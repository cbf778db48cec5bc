import type { BackupJob } from '../backup/job.ts';
import { JobNotRunningError } from '../cluster/cluster-errors.ts';
import type { JobPlacement } from '../cluster/job-placement.ts';
import type { RemoteRequests } from '../ports/remote-requests.ts';
import type { CommandContext, CommandResults } from '../protocol/commands.ts';
import type { RoutedCommand } from '../cluster/routed-commands.ts';
import { errorFromShape } from './error-from-shape.ts';
import type { RequestTimeouts } from '../../machines/request.machine.ts';

export { isRouted, type RoutedCommand } from '../cluster/routed-commands.ts';

/** What a host in a cluster routes with; absent on a single node. */
export interface ClusterRouting {
  readonly node: string;
  readonly placement: JobPlacement;
  readonly remote: RemoteRequests;
  readonly timeouts: RequestTimeouts;
}

/**
 * Where a routed command about `job` goes: null to carry it out here, or the
 * node to send it to. A job that no node runs now (a shared job between
 * leases) is an error the client can retry.
 */
export function remoteRunner(routing: ClusterRouting, job: BackupJob): string | null {
  if (routing.placement.runsHere(job)) return null;
  const runner = routing.placement.runnerOf(job);
  if (runner === null) throw new JobNotRunningError(`No node runs the shared job '${job.id}' at the moment; try again in a few seconds`);
  return runner === routing.node ? null : runner;
}

/**
 * Sends a routed command to `node`, naming its job by id so that node resolves
 * the same job, and makes that node's answer this request's answer.
 */
export async function sendToRunner<C extends RoutedCommand>(routing: ClusterRouting, node: string, command: C, jobId: string, context: CommandContext): Promise<CommandResults[C['kind']]> {
  // A copy or a restore may take as long as a backup; the rest is quick.
  const long = command.kind === 'backup.run' || command.kind === 'backup.restore';
  const timeoutMs = long ? routing.timeouts.backupMs : routing.timeouts.defaultMs;
  const answer = await routing.remote.send(node, { ...command, job: jobId }, { clientAddress: context.clientAddress, timeoutMs });
  if (!answer.ok) throw errorFromShape(answer.error);
  return answer.result as CommandResults[C['kind']];
}
