import { Bus } from '../bus/bus.ts';
import type { HostStarted } from '../bus/events.ts';
import type { BookOptions } from '../book/book-options.ts';
import type { Host } from '../host/host.ts';
import { startHost } from '../host/start-host.ts';
import type { IdSource } from '../ids/ids.ts';
import { seededRandom } from '../random/random.ts';
import { isDamaged, readRecordedLines, type RecordedLine, type RecordedLines } from './recorded-lines.ts';
import { Recorder } from './recorder.ts';
import { stepLine, type RecordedStep } from './recording.ts';
import { isSameStep } from './same-step.ts';
import { PortGate } from './port-gate.ts';
import { ScriptedClock } from './scripted-clock.ts';
import { ScriptedFiles } from './scripted-files.ts';
import { ScriptedLeases } from './scripted-leases.ts';
import { ScriptedCalls } from './scripted-calls.ts';
import { VERSION_BLOBS_OPS, type VersionBlobs } from '../ports/version-blobs.ts';
import { SecretPlaceholders } from './secret-placeholders.ts';

/** The first step where the replay and the recording part ways. */
export interface Divergence {
  readonly seq: number;
  /** The step as recorded, or null when the replay did more than the recording. */
  readonly recorded: string | null;
  /** The step the replay produced instead, or null when it produced nothing there. */
  readonly replayed: string | null;
  readonly reason: string;
}

export interface ReplayResult {
  /** Steps in the recording. */
  readonly steps: number;
  /** Steps the replay reproduced, in order, before any divergence. */
  readonly matched: number;
  /** False when the recording was cut short (its host did not stop normally): the replay checked what there is. */
  readonly complete: boolean;
  readonly divergence: Divergence | null;
}

export interface ReplayOptions {
  /** How long (real time) to wait for a step the host is still working on (a password hash) before calling it missing. Default 10 s. */
  readonly stallMs?: number;
}

/**
 * Replays a recording: starts a fresh host on a scripted clock, with the
 * recorded ids, no socket, no store and no disk, feeds it the recorded inputs
 * (edge events, timer firings, file-system results, password hashes coming
 * back) each at its recorded time and place, and checks every step the host
 * produces against the recording.
 *
 * @example
 * const result = await replayRecording(await readFile('run.ndjson', 'utf8'));
 * if (result.divergence) console.log(`diverged at step ${result.divergence.seq}`);
 */
export async function replayRecording(text: string, options: ReplayOptions = {}): Promise<ReplayResult> {
  return new ReplaySession(readRecordedLines(text), options.stallMs ?? 10_000).run();
}

// Secrets the replay makes (keys, salts, tokens) come from a fixed seed: they are not the recorded run's, and need not be.
const REPLAY_SEED = 'safekeep replay';

class ReplaySession {
  readonly #recording: RecordedLines;
  readonly #stallMs: number;
  readonly #clock: ScriptedClock;
  readonly #files = new ScriptedFiles();
  readonly #leases = new ScriptedLeases();
  /** A cluster node's routed requests and its view of the cluster, answered from the recording. */
  readonly #remote = new ScriptedCalls();
  readonly #view = new ScriptedCalls();
  /** A cluster node's object store (`--version-store nats`), answered from the recording. */
  readonly #blobs = new ScriptedCalls();
  readonly #join = new ScriptedCalls();
  /** Who waits for the inputs before the next output to be fed (#inputsFed). */
  readonly #inputWaiters: (() => void)[] = [];
  readonly #hasherGate = new PortGate();
  /** The host's bus, made here so that inputs can be fed while the host is still starting. */
  readonly #bus = new Bus();
  readonly #placeholders = new SecretPlaceholders({ keepValues: true });
  #next = 0;
  #divergence: Divergence | null = null;
  #finished = false;
  #unrecordedIds = 0;
  #host: Host | null = null;
  /** The step the replay waits for the host to produce, and since when (real time); null while it is not waiting. */
  #awaited: number | null = null;
  #awaitedSince = 0;
  /** Whether the pump is already due to run on a microtask. */
  #pumpQueued = false;
  /** Resolves `run` once the steps are through (or the replay diverged or stalled). */
  #through: () => void = () => undefined;

  constructor(recording: RecordedLines, stallMs: number) {
    this.#recording = recording;
    this.#stallMs = stallMs;
    this.#clock = new ScriptedClock(recording.header.startedAt);
  }

  async run(): Promise<ReplayResult> {
    const { header, steps } = this.#recording;
    const bus = this.#bus;
    // The store's results come from the recording, but the host must see a store on the bus.
    bus.on$('store.command').subscribe(() => undefined);
    // The socket answers each reply.ready with its reply.sent from inside its listener; the stand-in does the same, at the same moment.
    bus.on$('reply.ready').subscribe((reply) => this.#replySent(reply.requestId));
    const recorder = new Recorder({ sink: { write: (step) => this.#compare(step) }, clock: this.#clock, placeholders: this.#placeholders, startedAt: header.startedAt });
    const random = seededRandom(REPLAY_SEED);
    const through = new Promise<void>((resolve) => (this.#through = resolve));
    // One watchdog for the whole replay rather than a timer per wait: real time, not the host's, as the host may be hashing a password on the thread pool.
    const watchdog = setInterval(() => this.#checkStall(), Math.max(1, Math.ceil(this.#stallMs / 10)));
    const starting = startHost(
      {
        dataDir: header.host.dataDir,
        backupDir: header.host.backupDir,
        ...(header.host.jobs ? { jobs: header.host.jobs } : {}),
        ...(header.host.allowedPaths ? { allowedPaths: header.host.allowedPaths } : {}),
        retry: header.host.retry,
        requestTimeouts: header.host.requestTimeouts,
        shutdownGraceMs: header.host.shutdownGraceMs,
        ...(header.host.verifyIntervalMs !== undefined ? { verifyIntervalMs: header.host.verifyIntervalMs } : {}),
        ...(header.host.verifyCopies ? { verifyCopies: true } : {}),
        ...(header.host.retentionTimeZone !== undefined ? { retentionTimeZone: header.host.retentionTimeZone } : {}),
        book: header.host.book as BookOptions,
        socket: false,
        clock: this.#clock,
        ids: this.#recordedIds(),
        random,
      },
      {
        bus,
        recorder,
        startStore: false,
        files: this.#files,
        ...(header.host.cluster ? { leases: { port: this.#leases, node: header.host.cluster.node, leaseTtlMs: header.host.cluster.leaseTtlMs } } : {}),
        hasherGate: this.#hasherGate,
        loadServiceKey: async () => random.bytes(32),
        listening: this.#recordedListening(),
        ...(header.host.cluster
          ? {
              cluster: {
                node: header.host.cluster.node,
                remote: { send: () => this.#remote.call(), locate: () => this.#remote.call() },
                snapshot: () => this.#view.call(),
                inputsFed: () => this.#inputsFed(),
                // The key check and the join are one recorded port ('join'), counted together: both are answered in their recorded order.
                checkKey: () => this.#join.call(),
                join: () => this.#join.call(),
                ...(header.host.cluster.versionStore === 'nats' ? { blobs: scriptedBlobs(this.#blobs) } : {}),
              },
            }
          : {}),
      },
    );
    void starting.then(
      (host) => (this.#host = host),
      (error: unknown) => this.#diverge(null, `the host did not start: ${error instanceof Error ? error.message : String(error)}`),
    );

    this.#pump();
    await through;
    clearInterval(watchdog);
    // A recorded line the replay differs at that is not a step at all: the recording is damaged there, as reading it whole would have said.
    const differsAt = this.#divergence?.recorded ? this.#recording.steps[this.#divergence.seq - 1] : undefined;
    if (differsAt && !differsAt.parsed) void differsAt.step;
    // After a recording that ends with its host's stop, anything more the replay does is a difference; after one cut short, it is expected.
    if (!this.#divergence && this.#recording.complete) await new Promise((resolve) => setImmediate(resolve));
    this.#finished = true;
    // Nothing to stop: a replayed host holds no socket, file or real timer, so what the recording leaves running is simply dropped.
    return { steps: steps.length, matched: this.#next, complete: this.#recording.complete, divergence: this.#divergence };
  }

  /**
   * Moves the replay on from the step that is next: an input is fed once the
   * host has finished reacting to what came before (a macrotask later, as
   * each input came in its own task in the recorded run); an output is
   * awaited. It runs again when the host produces the awaited step, never
   * from inside the host's own call (the recorder's tap), or after the feed.
   */
  #pump = (): void => {
    this.#pumpQueued = false;
    const index = this.#next;
    const next = this.#recording.steps[index];
    if (this.#divergence || !next) {
      this.#releaseInputWaiters();
      return this.#through();
    }
    if (next.input) {
      setImmediate(() => this.#feedAfterDrain(index));
      return;
    }
    // An output the host has not produced yet (`#next` is past every step it has).
    this.#await(index);
    this.#releaseInputWaiters();
  };

  /** Feeds input `index`, the host having drained its reactions to what came before; then goes on. */
  #feedAfterDrain(index: number): void {
    // A reply.sent is usually fed by the reply stand-in, inside its reply.ready; one still next here was a
    // streamed reply's, which the socket wrote out later (after 'drain'): fed here like any other input.
    if (!this.#divergence && this.#next === index) {
      this.#feedTogether();
      // An input the host records later than it is fed (a file-system result, recorded once the call that awaited it resumes): wait for it.
      if (!this.#divergence && this.#next === index) return this.#await(index);
    }
    this.#pump();
  }

  /**
   * Resolves once every input recorded before the next output has been fed:
   * where the recorded host waited on an edge the replay does not run (a
   * cluster node's NATS set-up and join), inputs that came meanwhile (other
   * nodes' events) must reach the replayed host there too.
   */
  #inputsFed(): Promise<void> {
    if (this.#awaited !== null || this.#divergence || this.#finished) return Promise.resolve();
    return new Promise((resolve) => this.#inputWaiters.push(resolve));
  }

  #releaseInputWaiters(): void {
    for (const resolve of this.#inputWaiters.splice(0)) resolve();
  }

  /** Waits for the host to produce step `index`. */
  #await(index: number): void {
    this.#awaited = index;
    this.#awaitedSince = performance.now();
  }

  /** Runs the pump on a microtask (once), after the host's current call returns. */
  #schedulePump(): void {
    if (this.#pumpQueued) return;
    this.#pumpQueued = true;
    queueMicrotask(this.#pump);
  }

  /** The awaited step has not come for `stallMs` of real time: the host will not produce it. */
  #checkStall(): void {
    if (this.#awaited === null || this.#divergence || performance.now() - this.#awaitedSince < this.#stallMs) return;
    this.#diverge(null, 'the replay stopped short: it did not produce this step');
  }

  /**
   * Feeds the input that is next, and then, in the same task, each following
   * input that arrived together with it in the recorded run, as soon as the
   * steps before it are produced.
   */
  #feedTogether(): void {
    for (;;) {
      const index = this.#next;
      const { step } = this.#recording.steps[index] as RecordedLine;
      this.#clock.set(step.time);
      this.#feed(step);
      const following = this.#recording.steps[this.#next];
      if (this.#divergence || this.#next === index || !following?.input || !following.step.withPrevious) return;
    }
  }

  /**
   * Feeds the recorded `reply.sent` of a reply the host just made ready, if it
   * is the next step: the socket wrote each reply inside its `reply.ready`
   * listener, so with pipelined requests its `reply.sent` fell between the
   * host's later steps, wherever the bus's delivery put it.
   */
  #replySent(requestId: string): void {
    const entry = this.#recording.steps[this.#next];
    // Only an input can be the reply.sent (an output's line is not parsed for this).
    const next = entry?.input ? entry.step : undefined;
    if (this.#finished || this.#divergence || !next || !isReplySent(next) || next.correlation !== requestId) return;
    this.#clock.set(next.time);
    this.#feed(next);
  }

  /** Feeds one recorded input to the host. */
  #feed(step: RecordedStep): void {
    switch (step.kind) {
      case 'event': {
        if (step.name === 'host.stopping') {
          if (!this.#host) return this.#diverge(null, 'the recorded host stopped before the replayed one had started');
          void this.#host.stop((step.payload as { reason: string }).reason);
          return;
        }
        void this.#bus.emit(step.name, this.#placeholders.restore(step.payload) as never);
        return;
      }
      case 'timer':
        if (!this.#clock.fire(step.timer)) this.#diverge(null, `timer ${step.timer} fired in the recording, but no such timer is waiting in the replay`);
        return;
      case 'result':
        if (!this.#settle(step.port, step.call, step.ok, step.value)) {
          this.#diverge(null, `${step.port} call ${step.call} returned in the recording, but the replay made no such call`);
        }
        return;
      case 'id':
      case 'call':
        return;
    }
  }

  /** Gives a recorded port call its recorded result: the hasher's is released, the file system's and the cluster's are answered. */
  #settle(port: string, call: number, ok: boolean, value: unknown): boolean {
    if (port === 'hasher') return this.#hasherGate.release(call);
    if (port === 'remote') return this.#remote.settle(call, ok, this.#placeholders.restore(value));
    if (port === 'view') return this.#view.settle(call, ok, this.#placeholders.restore(value));
    if (port === 'leases') return this.#leases.settle(call, ok, value);
    if (port === 'blobs') return this.#blobs.settle(call, ok, value);
    if (port === 'join') return this.#join.settle(call, ok, value);
    return this.#files.settle(call, ok, this.#placeholders.restore(value));
  }

  /** Checks a step the replay produced against the recording: its line must be the recorded line. */
  #compare(step: RecordedStep): void {
    if (this.#finished || this.#divergence) return;
    const expected = this.#recording.steps[this.#next];
    // Past the end of a recording cut short, the host simply goes on: only after a normal stop is more a difference.
    if (!expected && !this.#recording.complete) return;
    if (!expected) {
      this.#divergence = { seq: step.seq, recorded: null, replayed: stepLine(step), reason: 'the replay did more than the recording' };
    } else if ((expected.parsed && isSameStep(step, expected.step)) || stepLine(step) === expected.line) {
      this.#next++;
    } else {
      this.#divergence = { seq: expected.seq, recorded: expected.line, replayed: stepLine(step), reason: this.#differentStepReason() };
    }
    this.#progressed();
  }

  /** The host produced a step (or the replay diverged): the pump goes on if it was waiting for this. */
  #progressed(): void {
    if (this.#awaited === null || (this.#next <= this.#awaited && !this.#divergence)) return;
    this.#awaited = null;
    this.#schedulePump();
  }

  #differentStepReason(): string {
    const foreign = this.#placeholders.foreignMaterial;
    if (foreign.length === 0) return 'the replay produced a different step';
    return `the replay produced a different step; note that the recording uses secret material saved before it began (${foreign.join(', ')}), and decisions about it (a login of a user registered earlier) cannot be replayed`;
  }

  /** The replay parts ways at the step that is next; `recorded` defaults to that step's line. */
  #diverge(recorded: string | null, reason: string): void {
    if (this.#divergence) return;
    const seq = this.#recording.steps[this.#next]?.seq ?? this.#recording.steps.length + 1;
    this.#divergence = { seq, recorded: recorded ?? this.#recording.steps[this.#next]?.line ?? null, replayed: null, reason };
    // Wherever the pump is (waiting for a step, or for the drain before an input), it ends the replay.
    this.#awaited = null;
    this.#schedulePump();
  }

  /** Ids as the recording has them: the id the host draws next is the one the recording shows next. */
  #recordedIds(): IdSource {
    return {
      next: (prefix) => {
        const entry = this.#recording.steps[this.#next];
        // A damaged line is no id: the draw then differs, and the replay reports the damage there.
        const expected = entry?.kind === 'id' && !isDamaged(entry) ? entry.step : undefined;
        // A draw the recording does not have: a made-up id, and the comparison reports the difference.
        return expected?.kind === 'id' && expected.prefix === prefix ? expected.value : `${prefix}_unrecorded${++this.#unrecordedIds}`;
      },
    };
  }

  #recordedListening(): HostStarted['listening'] {
    const started = this.#recording.steps.find((entry) => entry.kind === 'event' && entry.name === 'host.started')?.step;
    return started?.kind === 'event' ? (started.payload as HostStarted).listening : null;
  }
}

/** A socket's `reply.sent`: fed by the reply stand-in when its `reply.ready` comes (by the replay loop only when a streamed reply's came later). */
function isReplySent(step: RecordedStep): boolean {
  return step.kind === 'event' && step.name === 'reply.sent';
}

/** An object store whose every call waits for its recorded answer (none writes a file: the files port's calls after it are answered from the recording too). */
function scriptedBlobs(calls: ScriptedCalls): VersionBlobs {
  return Object.fromEntries(VERSION_BLOBS_OPS.map((op) => [op, () => calls.call()])) as unknown as VersionBlobs;
}
