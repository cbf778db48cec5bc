import type { JetStreamManager } from '@nats-io/jetstream';
import type { Clock } from '../../src/clock/clock.ts';
import { StoreUnavailableError } from '../../src/store/errors.ts';
import { isTransient } from './kv-publisher.ts';
import type { NatsLink } from './nats-link.ts';

export interface StreamLastSequenceOptions {
  readonly jsm: JetStreamManager;
  readonly stream: string;
  readonly link: NatsLink;
  readonly clock: Clock;
  /** How long an answer is retried while the stream has no leader. */
  readonly boundMs: number;
}

/**
 * The store stream's last sequence, asked of its leader (stream info): what
 * the read barrier waits for the mirror to reach. The request goes out at the
 * end of the event loop's turn, so readers that arrive together (a book
 * request's two gets) share it. A reader that arrives once it is on its way
 * waits for the next one (shared with the others that arrive meanwhile): the
 * answer on its way may predate a write the reader has been told of.
 */
export class StreamLastSequence {
  readonly #options: StreamLastSequenceOptions;
  #inFlight: Promise<number> | null = null;
  /** Whether the request in flight has been sent: a reader that comes before may still share it. */
  #sent = false;
  #next: Promise<number> | null = null;

  constructor(options: StreamLastSequenceOptions) {
    this.#options = options;
  }

  query(): Promise<number> {
    if (!this.#inFlight) {
      const query = new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
        this.#sent = true;
        return this.#ask();
      });
      this.#sent = false;
      this.#inFlight = query.finally(() => (this.#inFlight = null));
      return this.#inFlight;
    }
    if (!this.#sent) return this.#inFlight;
    this.#next ??= this.#inFlight
      .catch(() => undefined)
      .then(() => {
        this.#next = null;
        return this.query();
      });
    return this.#next;
  }

  /** One answer, retried with backoff while the stream has no leader, up to the bound. */
  async #ask(): Promise<number> {
    const { jsm, stream, link, clock, boundMs } = this.#options;
    const deadline = clock.now() + boundMs;
    let backoff = 50;
    for (;;) {
      if (!link.connected) throw new StoreUnavailableError('this node has lost its connection to the cluster; nothing was read');
      try {
        return (await jsm.streams.info(stream)).state.last_seq;
      } catch (error) {
        if (!isTransient(error) || clock.now() + backoff > deadline) {
          throw new StoreUnavailableError('the cluster did not answer where its store stands (no stream leader or no quorum); nothing was read', { cause: error });
        }
        await new Promise((resolve) => setTimeout(resolve, backoff).unref());
        backoff = Math.min(backoff * 2, 1_000);
      }
    }
  }
}
