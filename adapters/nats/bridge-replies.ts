import { createInbox, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Clock } from '../../src/clock/clock.ts';
import { Deadlines } from '../../src/clock/deadlines.ts';
import type { BridgeOutbox } from './bridge-outbox.ts';

/** How a request ended without an answer. */
export type NoAnswer = 'no-responders' | 'timeout' | 'closed';

interface Waiting {
  resolve(msg: Msg): void;
  reject(reason: NoAnswer): void;
}

/**
 * Request/reply for the bridge's hot path: one inbox subscription for every
 * request this node sends (`_INBOX.<id>.<n>`), a map of who waits for which
 * reply, and their time limits on one timer (Deadlines: a timer set and
 * cleared per request was a microsecond of each). The client library's own `request()` does the
 * same, but builds an Error (and its stack trace) for every request it
 * answers, which cost a routed request a third of its CPU in the bench.
 * No responders comes back as the server's 503 status message on the inbox
 * (the client connects with headers and no_responders on, its default).
 *
 * @example
 * const replies = new BridgeReplies(connection, new BridgeOutbox(), systemClock);
 * const msg = await replies.request('safekeep.requests.a', bytes, 5_000); // rejects with 'no-responders' | 'timeout' | 'closed'
 */
export class BridgeReplies {
  readonly #connection: NatsConnection;
  readonly #outbox: BridgeOutbox;
  readonly #prefix: string;
  readonly #waiting = new Map<string, Waiting>();
  readonly #clock: Clock;
  readonly #deadlines: Deadlines<string>;
  readonly #subscription: Subscription;
  #count = 0;

  constructor(connection: NatsConnection, outbox: BridgeOutbox, clock: Clock) {
    this.#connection = connection;
    this.#outbox = outbox;
    this.#clock = clock;
    this.#deadlines = new Deadlines(clock);
    this.#prefix = `${createInbox()}.`;
    this.#subscription = connection.subscribe(`${this.#prefix}*`, {
      callback: (error, msg) => {
        if (error) return;
        const token = msg.subject.slice(this.#prefix.length);
        const waiting = this.#waiting.get(token);
        if (!waiting) return; // answered after its time limit
        this.#outbox.received();
        this.#waiting.delete(token);
        this.#deadlines.delete(token);
        if (msg.data.length === 0 && msg.headers?.code === 503) waiting.reject('no-responders');
        else waiting.resolve(msg);
      },
    });
  }

  request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Msg> {
    const token = String(++this.#count);
    return new Promise<Msg>((resolve, reject) => {
      this.#deadlines.add(token, this.#clock.now() + timeoutMs, () => {
        this.#waiting.delete(token);
        reject('timeout' satisfies NoAnswer);
      });
      const busy = this.#waiting.size > 0;
      this.#waiting.set(token, { resolve, reject });
      this.#outbox.send(() => {
        try {
          this.#connection.publish(subject, data, { reply: this.#prefix + token });
        } catch {
          this.#waiting.delete(token);
          this.#deadlines.delete(token);
          reject('closed' satisfies NoAnswer);
        }
      }, busy);
    });
  }

  /** Ends the subscription; whoever still waits is told the link closed. */
  close(): void {
    this.#subscription.unsubscribe();
    this.#deadlines.clear();
    for (const waiting of this.#waiting.values()) waiting.reject('closed');
    this.#waiting.clear();
  }
}
