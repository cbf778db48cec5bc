import { SafekeepError } from '../errors/safekeep-error.ts';

/** A request had to go to another node of the cluster (the one that runs its job), and that node could not be reached. */
export class NodeUnreachableError extends SafekeepError {
  readonly code = 'NODE_UNREACHABLE';
}

/** A request is about a shared job that no node runs at the moment (its lease is between holders). */
export class JobNotRunningError extends SafekeepError {
  readonly code = 'JOB_NOT_RUNNING';
}

/**
 * This node's `keys/service.key` differs from the one the cluster's live nodes
 * share: it refuses to start rather than seal inbox passwords no other node can open.
 */
export class ClusterKeyMismatchError extends SafekeepError {
  readonly code = 'CLUSTER_KEY_MISMATCH';
}

/** A bucket the cluster already has was made with other settings than this node asks for (fewer replicas, another lease TTL). */
export class ClusterConfigMismatchError extends SafekeepError {
  readonly code = 'CLUSTER_CONFIG_MISMATCH';
}
