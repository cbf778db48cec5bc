import type { BusEventName } from '../bus/events.ts';
import type { RetentionPolicy } from '../backup/retention.ts';

/**
 * The recording format: NDJSON, one header line, then one line per step of
 * the run. Every step has a sequence number and its time on the host's clock.
 *
 * Steps are inputs (what the outside world did: an edge's event, a timer
 * firing, a file-system result) or outputs (what the host decided: every other
 * event, an id drawn, a file-system call). A replay feeds the inputs and
 * checks that the outputs come out the same.
 */
export const RECORDING_FORMAT = 'safekeep.recording.v1';

/** What a replay needs to rebuild the host the recording came from (no secrets: the random source is never recorded). */
export interface RecordingHeader {
  readonly format: typeof RECORDING_FORMAT;
  readonly startedAt: number;
  readonly host: RecordedHostOptions;
}

export interface RecordedHostOptions {
  readonly dataDir: string;
  readonly backupDir: string;
  readonly jobs: readonly { readonly sourcePath: string; readonly intervalMs: number; readonly keep?: number | null; readonly retention?: RetentionPolicy; readonly shared?: boolean }[] | null;
  /** `allowedPaths` (recordings made before it existed have none: nothing allowed). */
  readonly allowedPaths?: readonly string[];
  readonly retry: { readonly baseMs: number; readonly maxMs: number };
  readonly requestTimeouts: { readonly defaultMs: number; readonly backupMs: number };
  readonly shutdownGraceMs: number;
  readonly book: unknown;
  /** Absent in recordings made before the scrub existed (the default applies). */
  readonly verifyIntervalMs?: number;
  /** Present (true) only when the recorded host read its copies back. */
  readonly verifyCopies?: boolean;
  /** The zone retention read times in (`utc` or an IANA name); absent in recordings made before it was stored (`local` applies). */
  readonly retentionTimeZone?: string;
  /**
   * Present when the recorded host was a cluster node: its name, which the replay routes as (its routed requests are
   * answered from the recording), its lease TTL, with which the replay runs its shared jobs' lease loop on the recorded lease answers,
   * and where its versions' bytes went (`nats`: the object store, whose calls the replay answers from the recording).
   */
  readonly cluster?: { readonly node: string; readonly leaseTtlMs: number; readonly versionStore?: 'local' | 'nats' };
}

/** The last line of a recording whose host stopped normally: a replay then also checks that nothing follows. */
export interface RecordingEnd {
  readonly end: typeof RECORDING_FORMAT;
  readonly steps: number;
}

interface StepBase {
  readonly seq: number;
  readonly time: number;
  /** What ties this step to others: the request, connection, store command, run or port call it belongs to. */
  readonly correlation: string | null;
  /**
   * On an input that arrived in the same task as the input before it (two
   * requests in one socket read, two timers in one clock advance): a replay
   * feeds it without letting the host react to the first one in between.
   */
  readonly withPrevious?: true;
}

export type RecordedStep = StepBase &
  (
    | { readonly kind: 'event'; readonly name: BusEventName; readonly payload: unknown }
    | { readonly kind: 'id'; readonly prefix: string; readonly value: string }
    | { readonly kind: 'timer'; readonly timer: number }
    | { readonly kind: 'call'; readonly port: string; readonly call: number; readonly op: string; readonly args: unknown }
    | { readonly kind: 'result'; readonly port: string; readonly call: number; readonly ok: boolean; readonly value: unknown }
  );

/** A step without the numbering the recorder gives it. */
export type StepContent = RecordedStep extends infer S ? (S extends RecordedStep ? Omit<S, 'seq' | 'time' | 'correlation'> : never) : never;

/**
 * Events that come from the edges (sockets, the store, the reply channel, an
 * embedding app), or that tell how fast the disk went (a copy's progress,
 * published from inside a file-system call that a replay answers from the
 * log): a replay feeds them in. Every other event is the host's own and must
 * come out of the replay unchanged.
 */
export const INPUT_EVENTS: ReadonlySet<BusEventName> = new Set<BusEventName>([
  'connection.opened',
  'connection.closed',
  'requests.received',
  'request.submitted',
  'reply.sent',
  'reply.forwarded',
  'reply.forward.failed',
  'store.result',
  'store.damaged',
  'store.checkpoint.failed',
  // Another node's write, as the cluster's store saw it.
  'store.changed',
  // The node's connection to NATS, and other nodes' events: the cluster is an edge too.
  'cluster.link',
  'cluster.remote',
  'backup.progress',
  'host.stopping',
  // Delivered (or not) by a receiver outside: an edge's report, as reply.forward.failed is.
  'notify.failed',
]);

export function isInput(step: Pick<RecordedStep, 'kind'> & { readonly name?: BusEventName }): boolean {
  switch (step.kind) {
    case 'event':
      return step.name !== undefined && INPUT_EVENTS.has(step.name);
    case 'timer':
    case 'result':
      return true;
    case 'id':
    case 'call':
      return false;
  }
}

/** One step as its line in the file (keys in a fixed order, so equal steps are equal lines). */
export function stepLine(step: RecordedStep): string {
  return JSON.stringify(step);
}

/** The correlation id found in an event's payload, if any. */
export function correlationOf(payload: unknown): string | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const record = payload as Record<string, unknown>;
  for (const key of ['requestId', 'commandId', 'runId', 'connectionId', 'jobId']) {
    if (typeof record[key] === 'string') return record[key];
  }
  return null;
}
