import type { Bus } from '../bus/bus.ts';
import type { Clock, TimerHandle } from '../clock/clock.ts';
import { toErrorShape } from '../errors/safekeep-error.ts';
import type { IdSource } from '../ids/ids.ts';
import { Secret } from '../secret/secret.ts';
import { interceptPort } from './intercept-port.ts';
import { correlationOf, isInput, type RecordedStep, type StepContent } from './recording.ts';
import type { SecretPlaceholders } from './secret-placeholders.ts';

/**
 * Where recorded steps go: a file while recording, the comparison with the
 * recording while replaying. A step is handed over as it is, to be used at
 * once (it may share objects with what the host goes on using); the sink
 * writes its line (`stepLine`) if and when it needs it.
 */
export interface StepSink {
  write(step: RecordedStep): void;
}

interface RecordedTimer {
  readonly handle: TimerHandle;
}

/** `value` with every string and byte array made a Secret. */
function asSecrets(value: unknown): unknown {
  if (typeof value === 'string') return new Secret(value);
  if (value instanceof Uint8Array) return new Secret(Buffer.from(value).toString('base64'));
  if (Array.isArray(value)) return value.map(asSecrets);
  if (typeof value === 'object' && value !== null && !(value instanceof Secret)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, asSecrets(item)]));
  }
  return value;
}

type AsyncMethods<T> = { [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? K : never }[keyof T];

/**
 * Writes down every step of a run: each bus event (through the bus's tap, in
 * emit order), each id the host draws, each timer that fires and each call to
 * a recorded port with its result. Secrets become placeholders on the way.
 *
 * It also owns the host's sense of time: the host's clock reads the time of
 * the last input, which is exactly the time a replay sets before feeding that
 * input, so every decision that reads the clock comes out the same.
 */
export class Recorder {
  readonly #sink: StepSink;
  readonly #base: Clock;
  readonly #placeholders: SecretPlaceholders;
  #seq = 0;
  #time: number;
  #timers = 0;
  /** True from an input until the current task ends: inputs recorded meanwhile arrived together (one socket read, one clock advance). */
  #inputTask = false;
  readonly #calls = new Map<string, number>();

  /** `startedAt` is the recording header's time, where the host's clock starts. */
  constructor(deps: { sink: StepSink; clock: Clock; placeholders: SecretPlaceholders; startedAt: number }) {
    this.#sink = deps.sink;
    this.#base = deps.clock;
    this.#placeholders = deps.placeholders;
    this.#time = deps.startedAt;
  }

  /** Records every event emitted on `bus` from now on. */
  attach(bus: Bus): () => void {
    return bus.tap(({ name, payload }) => {
      this.#record({ kind: 'event', name, payload: this.#placeholders.sanitize(payload) }, correlationOf(payload));
    });
  }

  /** The host's clock: time moves only when an input is recorded; each timer that fires is an input. */
  clock(): Clock {
    return {
      now: () => this.#time,
      setTimeout: (callback, delayMs) => {
        const timer = ++this.#timers;
        const handle = this.#base.setTimeout(() => {
          this.#record({ kind: 'timer', timer }, `timer#${timer}`);
          callback();
        }, delayMs);
        return { handle } satisfies RecordedTimer;
      },
      clearTimeout: (timer) => this.#base.clearTimeout((timer as RecordedTimer).handle),
    };
  }

  /** The host's ids: each one drawn is recorded, so a replay can hand out the same. */
  ids(base: IdSource): IdSource {
    return {
      next: (prefix) => {
        const value = base.next(prefix);
        this.#record({ kind: 'id', prefix, value }, null);
        return value;
      },
    };
  }

  /**
   * `port` with each of `ops` recorded: the call (an output) and, when it
   * settles, its result (an input). With `secret`, every string and byte
   * array in the arguments and results is a secret (a password hasher's).
   */
  port<T extends object>(name: string, port: T, ops: readonly AsyncMethods<T>[], options: { secret?: boolean } = {}): T {
    const sanitize = (value: unknown) => this.#placeholders.sanitize(options.secret ? asSecrets(value) : value);
    return interceptPort(port, ops as readonly string[], async (op, args, call) => {
      const number = (this.#calls.get(name) ?? 0) + 1;
      this.#calls.set(name, number);
      const correlation = `${name}#${number}`;
      this.#record({ kind: 'call', port: name, call: number, op, args: sanitize(args) }, correlation);
      try {
        const value = await call();
        this.#record({ kind: 'result', port: name, call: number, ok: true, value: sanitize(value) ?? null }, correlation);
        return value;
      } catch (error) {
        this.#record({ kind: 'result', port: name, call: number, ok: false, value: toErrorShape(error) }, correlation);
        throw error;
      }
    });
  }

  #record(content: StepContent, correlation: string | null): void {
    const input = isInput(content as RecordedStep);
    const withPrevious = input && this.#inputTask;
    if (input) {
      this.#time = Math.max(this.#time, this.#base.now());
      if (!this.#inputTask) {
        this.#inputTask = true;
        queueMicrotask(this.#endInputTask);
      }
    }
    const step: { seq: number; time: number; correlation: string | null; withPrevious?: true } = { seq: ++this.#seq, time: this.#time, correlation, ...content };
    if (withPrevious) step.withPrevious = true;
    this.#sink.write(step as RecordedStep);
  }

  readonly #endInputTask = (): void => {
    this.#inputTask = false;
  };
}
