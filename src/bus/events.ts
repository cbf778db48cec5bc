import type {
  BackupCompleted,
  BackupCopyStarted,
  BackupFailed,
  BackupJobRemoved,
  BackupJobsLoaded,
  BackupJobState,
  BackupProgress,
  BackupPruned,
  BackupRestored,
  BackupScheduled,
  BackupVerified,
  BackupVersionDamaged,
  BackupVersionMismatch,
} from '../backup/events.ts';
import type {
  ConnectionClosed,
  ConnectionOpened,
  ReplyForwarded,
  ReplyForwardFailed,
  ReplyReady,
  ReplySent,
  RequestFailed,
  RequestsReceived,
  RequestSettled,
  RequestSubmitted,
} from '../protocol/messages.ts';
import type { NotifyFailed } from '../notify/events.ts';
import type { StoreChanged, StoreCheckpointFailed, StoreCommand, StoreDamaged, StoreResult } from '../store/messages.ts';
import type { ClusterLease, ClusterLink, ClusterRemoteEvent } from '../cluster/events.ts';

export interface HostStarted {
  /** Where the socket listens, or null when the host runs without one. */
  readonly listening: { readonly host: string; readonly port: number } | null;
}

/** Something found damaged at start and put right (the operator should know it happened); `note` is one sentence. */
export interface HostRepaired {
  readonly subject: 'service-key';
  readonly note: string;
}

export interface HostStopping {
  readonly reason: string;
}

/**
 * Every event that travels on the bus, by name. This map is the single source
 * of truth: `bus.emit`, `bus.on$` and every subscriber are typed from it, so a
 * misspelt name or a wrong payload does not compile.
 */
export interface BusEvents {
  'host.started': HostStarted;
  'host.stopping': HostStopping;
  'host.repaired': HostRepaired;

  'connection.opened': ConnectionOpened;
  'connection.closed': ConnectionClosed;
  'requests.received': RequestsReceived;
  'request.submitted': RequestSubmitted;
  'request.settled': RequestSettled;
  'request.failed': RequestFailed;
  'reply.ready': ReplyReady;
  'reply.sent': ReplySent;
  'reply.forwarded': ReplyForwarded;
  'reply.forward.failed': ReplyForwardFailed;

  'backup.jobs.loaded': BackupJobsLoaded;
  'backup.scheduled': BackupScheduled;
  'backup.copy.started': BackupCopyStarted;
  'backup.progress': BackupProgress;
  'backup.completed': BackupCompleted;
  'backup.failed': BackupFailed;
  'backup.pruned': BackupPruned;
  'backup.paused': BackupJobState;
  'backup.resumed': BackupJobState;
  'backup.version.damaged': BackupVersionDamaged;
  'backup.version.mismatch': BackupVersionMismatch;
  'backup.verified': BackupVerified;
  'backup.restored': BackupRestored;
  'backup.job.removed': BackupJobRemoved;

  'store.command': StoreCommand;
  'store.result': StoreResult;
  'store.damaged': StoreDamaged;
  'store.checkpoint.failed': StoreCheckpointFailed;
  'store.changed': StoreChanged;

  'cluster.link': ClusterLink;
  'cluster.remote': ClusterRemoteEvent;
  'cluster.lease': ClusterLease;

  'notify.failed': NotifyFailed;
}

export type BusEventName = keyof BusEvents;

/** The families of event names: `backup.${string}` and so on. */
export type BusEventFamily = BusEventName extends `${infer Family}.${string}` ? Family : never;

/** An event with its name, as `bus.events$` delivers every event. */
export type BusEvent = { [K in BusEventName]: { readonly name: K; readonly payload: BusEvents[K] } }[BusEventName];
