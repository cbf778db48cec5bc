import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient } from '@nats-io/jetstream';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { Clock } from '../../src/clock/clock.ts';
import { StoreUnavailableError, StoreWriteFailedError } from '../../src/store/errors.ts';
import type { NatsLink } from './nats-link.ts';

/** How long a write is retried while JetStream has no leader (a stream leader's death costs ~7 s of no writes). */
export const WRITE_RETRY_BOUND_MS = 10_000;
const ATTEMPT_TIMEOUT_MS = 2_000;
const FIRST_BACKOFF_MS = 50;
const LONGEST_BACKOFF_MS = 1_000;

/** A compare-and-set publish found the key (or the whole stream) at another sequence than expected: someone wrote it since. */
export class KvCompareFailed extends Error {
  constructor(cause: unknown) {
    super('the key, or the store, was written since', { cause });
    this.name = 'KvCompareFailed';
  }
}

export interface DurablePublish {
  readonly subject: string;
  readonly payload: Uint8Array | string;
  readonly headers: MsgHdrs;
  /** Unique per write: a retry after a timeout whose first attempt was stored is a duplicate, not a second write. */
  readonly msgID: string;
  /** Compare-and-set: the sequence the key must have now (0: none). */
  readonly expectSubjectSequence?: number;
  /** Compare-and-set on the whole stream: its last sequence must be this (nothing written since). */
  readonly expectLastSequence?: number;
}

/**
 * Publishes a write to the store's stream and resolves with its sequence only
 * once JetStream acknowledged it (with the bucket's replicas). Refuses at once
 * while the link is down, so the client library never buffers a write the
 * node then reports as failed; retries with backoff while the cluster has no
 * stream leader, and gives up after `WRITE_RETRY_BOUND_MS`.
 */
export class KvPublisher {
  readonly #link: NatsLink;
  readonly #js: JetStreamClient;
  readonly #clock: Clock;
  readonly #retryBoundMs: number;
  #inFlight = 0;

  constructor(options: { link: NatsLink; js: JetStreamClient; clock: Clock; retryBoundMs?: number }) {
    this.#link = options.link;
    this.#js = options.js;
    this.#clock = options.clock;
    this.#retryBoundMs = options.retryBoundMs ?? WRITE_RETRY_BOUND_MS;
  }

  /** Publishes sent and not yet settled: while there are any, a write conditional on the whole stream would likely lose. */
  get inFlight(): number {
    return this.#inFlight;
  }

  async publish(write: DurablePublish): Promise<number> {
    this.#inFlight++;
    try {
      return await this.#publish(write);
    } finally {
      this.#inFlight--;
    }
  }

  async #publish(write: DurablePublish): Promise<number> {
    const deadline = this.#clock.now() + this.#retryBoundMs;
    let backoff = FIRST_BACKOFF_MS;
    let attempted = false;
    for (;;) {
      if (!this.#link.connected) {
        throw new StoreUnavailableError(
          attempted
            ? 'this node lost its connection to the cluster while writing; the write may or may not have been stored'
            : 'this node has lost its connection to the cluster; nothing was written',
        );
      }
      try {
        attempted = true;
        const ack = await this.#js.publish(write.subject, write.payload, {
          headers: write.headers,
          msgID: write.msgID,
          timeout: ATTEMPT_TIMEOUT_MS,
          retries: 1,
          ...(write.expectSubjectSequence === undefined && write.expectLastSequence === undefined
            ? {}
            : {
                expect: {
                  ...(write.expectSubjectSequence === undefined ? {} : { lastSubjectSequence: write.expectSubjectSequence }),
                  ...(write.expectLastSequence === undefined ? {} : { lastSequence: write.expectLastSequence }),
                },
              }),
        });
        return ack.seq;
      } catch (error) {
        if (isWrongLastSequence(error)) throw new KvCompareFailed(error);
        if (!isTransient(error)) {
          throw new StoreWriteFailedError('the cluster refused the write; nothing was written', { cause: error, detail: describe(error) });
        }
        if (this.#clock.now() + backoff > deadline) {
          throw new StoreWriteFailedError(`the cluster did not acknowledge the write within ${this.#retryBoundMs / 1000} s (no stream leader or no quorum); it may or may not have been stored`, {
            cause: error,
            detail: describe(error),
          });
        }
        await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, backoff));
        backoff = Math.min(backoff * 2, LONGEST_BACKOFF_MS);
      }
    }
  }
}

function isWrongLastSequence(error: unknown): boolean {
  return error instanceof JetStreamApiError && (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown);
}

/**
 * Errors that mean "no leader yet" or "not this time": a timeout (outcome
 * unknown; the retry's msgID makes it safe), no responders, and the client's
 * misleading `JetStreamNotEnabled` (a 503 while the stream has no leader).
 */
export function isTransient(error: unknown): boolean {
  if (error instanceof JetStreamApiError) return error.status === 503 || error.code === 10008 /* cluster not available */;
  if (!(error instanceof Error)) return false;
  return /timeout|no responders|not enabled|no quorum|unavailable|503|disconnect|reconnect|closed|connection/i.test(`${error.name} ${error.message}`);
}

export const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));
