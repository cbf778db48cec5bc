import { assign, emit, fromPromise, setup } from 'xstate';
import { toErrorShape, type ErrorShape } from '../src/errors/safekeep-error.ts';
import type { RunOutcome } from '../src/backup/run-outcome.ts';
import type { BackupVersion } from '../src/backup/version.ts';

export type { RunOutcome };

/**
 * The lifecycle of one backup job:
 *
 *   idle → scheduled → copying → done → scheduled → …
 *                         ↘ failed → scheduled (retry with backoff)
 *   paused ⇄ any of the resting states
 *
 * The machine decides *when* to copy and what to report; it does no IO. The
 * host provides the `copy` actor and reads time only through the clock given
 * to `createActor`, so a test can run a day of schedule on a virtual clock.
 */

export interface CopyInput {
  readonly jobId: string;
  readonly runId: string;
}

export interface RetryPolicy {
  /** Wait after the first failure; doubles with each failure in a row. */
  readonly baseMs: number;
  /** Never wait longer than this between retries (the interval caps it too). */
  readonly maxMs: number;
}

export interface BackupJobInput {
  readonly jobId: string;
  readonly intervalMs: number;
  /** How long to wait before the first run (0: run at once, e.g. when overdue). */
  readonly initialDelayMs: number;
  readonly retry: RetryPolicy;
}

export type BackupJobEvent =
  /** Begin the schedule. */
  | { type: 'START' }
  /** Run a copy as soon as possible; `requestId` is reported back when that copy ends. */
  | { type: 'RUN_NOW'; requestId: string }
  | { type: 'PAUSE' }
  | { type: 'RESUME' };

/** What the machine reports; the host forwards these to the bus as `backup.*` events. */
export type BackupJobEmitted =
  | { type: 'scheduled'; jobId: string; delayMs: number; attempt: number }
  | { type: 'copy.started'; jobId: string; runId: string; requestIds: readonly string[] }
  | {
      type: 'completed';
      jobId: string;
      runId: string;
      kind: 'copied' | 'unchanged';
      version: BackupVersion;
      requestIds: readonly string[];
    }
  | {
      type: 'failed';
      jobId: string;
      runId: string;
      error: ErrorShape;
      attempt: number;
      requestIds: readonly string[];
    }
  | { type: 'paused'; jobId: string }
  | { type: 'resumed'; jobId: string };

export interface BackupJobContext {
  readonly jobId: string;
  readonly intervalMs: number;
  readonly retry: RetryPolicy;
  /** Wait before the next run, set on every way into `scheduled`. */
  readonly delayMs: number;
  readonly runSeq: number;
  /** Failures in a row; 0 after a success. */
  readonly failures: number;
  /** Requests waiting for the next copy to start. */
  readonly waitingRequests: readonly string[];
  /** Requests that the running copy will answer. */
  readonly runningRequests: readonly string[];
  /** Set by PAUSE during a copy: pause once it ends. */
  readonly pauseAfterRun: boolean;
  readonly lastOutcome: RunOutcome | null;
}

const runIdOf = (context: BackupJobContext): string => `${context.jobId}#${context.runSeq}`;

/** Exponential backoff, capped by the retry policy and by the job's own interval. */
export function backoffDelay(failures: number, retry: RetryPolicy, intervalMs: number): number {
  const exponential = retry.baseMs * 2 ** Math.max(0, failures - 1);
  return Math.min(exponential, retry.maxMs, intervalMs);
}

export const backupJobMachine = setup({
  types: {
    context: {} as BackupJobContext,
    events: {} as BackupJobEvent,
    input: {} as BackupJobInput,
    emitted: {} as BackupJobEmitted,
  },
  actors: {
    // Placeholder: the host provides the real copy with `.provide({ actors: { copy } })`.
    copy: fromPromise<RunOutcome, CopyInput>(() => Promise.reject(new Error('backupJobMachine: no copy actor provided'))),
  },
  delays: {
    untilDue: ({ context }) => context.delayMs,
  },
  guards: {
    hasWaitingRequests: ({ context }) => context.waitingRequests.length > 0,
    pauseAfterRun: ({ context }) => context.pauseAfterRun,
  },
  actions: {
    queueRequest: assign({
      waitingRequests: ({ context, event }) =>
        event.type === 'RUN_NOW' ? [...context.waitingRequests, event.requestId] : context.waitingRequests,
    }),
    requestPause: assign({ pauseAfterRun: true }),
    emitScheduled: emit(({ context }) => ({
      type: 'scheduled' as const,
      jobId: context.jobId,
      delayMs: context.delayMs,
      attempt: context.failures,
    })),
  },
}).createMachine({
  id: 'backupJob',
  context: ({ input }) => ({
    jobId: input.jobId,
    intervalMs: input.intervalMs,
    retry: input.retry,
    delayMs: input.initialDelayMs,
    runSeq: 0,
    failures: 0,
    waitingRequests: [],
    runningRequests: [],
    pauseAfterRun: false,
    lastOutcome: null,
  }),
  initial: 'idle',
  states: {
    idle: {
      on: {
        START: 'scheduled',
        RUN_NOW: { target: 'copying', actions: 'queueRequest' },
        PAUSE: 'paused',
      },
    },
    scheduled: {
      entry: 'emitScheduled',
      after: { untilDue: 'copying' },
      on: {
        RUN_NOW: { target: 'copying', actions: 'queueRequest' },
        PAUSE: 'paused',
      },
    },
    copying: {
      entry: [
        assign(({ context }) => ({
          runSeq: context.runSeq + 1,
          runningRequests: context.waitingRequests,
          waitingRequests: [],
        })),
        emit(({ context }) => ({
          type: 'copy.started' as const,
          jobId: context.jobId,
          runId: runIdOf(context),
          requestIds: context.runningRequests,
        })),
      ],
      invoke: {
        src: 'copy',
        input: ({ context }) => ({ jobId: context.jobId, runId: runIdOf(context) }),
        onDone: [
          {
            guard: ({ event }) => event.output.ok,
            target: 'done',
            actions: assign({ lastOutcome: ({ event }) => event.output }),
          },
          { target: 'failed', actions: assign({ lastOutcome: ({ event }) => event.output }) },
        ],
        // A copy actor that throws is a bug, but the schedule must survive it.
        onError: {
          target: 'failed',
          actions: assign({
            lastOutcome: ({ event }) => ({
              ok: false as const,
              durationMs: 0,
              // The one translation of an unexpected error: clients see a generic sentence, the log its own words.
              error: toErrorShape(event.error),
            }),
          }),
        },
      },
      on: {
        // A request that arrives mid-copy gets a fresh copy after this one:
        // the running one may have read the file before the caller's last change.
        RUN_NOW: { actions: 'queueRequest' },
        PAUSE: { actions: 'requestPause' },
      },
    },
    done: {
      entry: [
        emit(({ context }) => {
          const outcome = context.lastOutcome as Extract<RunOutcome, { ok: true }>;
          return {
            type: 'completed' as const,
            jobId: context.jobId,
            runId: runIdOf(context),
            kind: outcome.kind,
            version: outcome.version,
            requestIds: context.runningRequests,
          };
        }),
        assign(({ context }) => ({
          failures: 0,
          runningRequests: [],
          // Keep a steady rhythm: the copy's own duration counts toward the interval.
          delayMs: Math.max(0, context.intervalMs - (context.lastOutcome?.durationMs ?? 0)),
        })),
      ],
      always: [
        { guard: 'hasWaitingRequests', target: 'copying' },
        { guard: 'pauseAfterRun', target: 'paused' },
        { target: 'scheduled' },
      ],
    },
    failed: {
      entry: [
        assign(({ context }) => ({
          failures: context.failures + 1,
          delayMs: backoffDelay(context.failures + 1, context.retry, context.intervalMs),
        })),
        emit(({ context }) => {
          const outcome = context.lastOutcome as Extract<RunOutcome, { ok: false }>;
          return {
            type: 'failed' as const,
            jobId: context.jobId,
            runId: runIdOf(context),
            error: outcome.error,
            attempt: context.failures,
            requestIds: context.runningRequests,
          };
        }),
        assign({ runningRequests: [] }),
      ],
      always: [
        { guard: 'hasWaitingRequests', target: 'copying' },
        { guard: 'pauseAfterRun', target: 'paused' },
        { target: 'scheduled' },
      ],
    },
    paused: {
      entry: [
        assign({ pauseAfterRun: true }),
        emit(({ context }) => ({ type: 'paused' as const, jobId: context.jobId })),
      ],
      on: {
        // An explicit request still runs; the job stays paused afterwards.
        RUN_NOW: { target: 'copying', actions: 'queueRequest' },
        RESUME: {
          target: 'copying',
          actions: [
            assign({ pauseAfterRun: false }),
            emit(({ context }) => ({ type: 'resumed' as const, jobId: context.jobId })),
          ],
        },
      },
    },
  },
});

export type BackupJobMachine = typeof backupJobMachine;
