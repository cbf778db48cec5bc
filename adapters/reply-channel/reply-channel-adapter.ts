import net from 'node:net';
import type { Subscription } from 'rxjs';
import type { Bus } from '../../src/bus/bus.ts';
import type { Clock } from '../../src/clock/clock.ts';
import { systemErrorCode } from '../../src/errors/safekeep-error.ts';
import type { HostAdapter } from '../../src/ports/host-adapter.ts';
import type { ReplyReady } from '../../src/protocol/messages.ts';
import { wholeReplyText } from '../../src/protocol/reply-chunks.ts';

export interface ReplyChannelOptions {
  readonly host: string;
  readonly port: number;
  readonly clock: Clock;
  /** First wait after a refused connection; it doubles up to `maxDelayMs`. Default 100 ms. */
  readonly firstDelayMs?: number;
  /** Default 1 s. */
  readonly maxDelayMs?: number;
  /** Give a reply up once this long has passed since its first attempt. Default 10 s. */
  readonly giveUpAfterMs?: number;
  /** One attempt's limit for connecting and writing. Default 5 s. */
  readonly attemptTimeoutMs?: number;
}

/** Errors worth another try: the client's listener is not up yet, or went away for a moment. */
const RETRYABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/**
 * The seed's reply channel: every reply to a password-book seed message is
 * also delivered by connecting to `host:port`, writing the JSON and closing,
 * as the original service did. The seed's client sends first and opens its
 * listener after, so a refused connection is retried with backoff for several
 * seconds. Replies go out one at a time, in request order.
 */
export class ReplyChannelAdapter implements HostAdapter {
  readonly name = 'reply-channel';
  readonly #options: Required<ReplyChannelOptions>;
  readonly #target: string;
  #queue: Promise<void> = Promise.resolve();
  #subscription: Subscription | null = null;
  #stopped = false;

  constructor(options: ReplyChannelOptions) {
    this.#options = { firstDelayMs: 100, maxDelayMs: 1_000, giveUpAfterMs: 10_000, attemptTimeoutMs: 5_000, ...options };
    this.#target = `${options.host}:${options.port}`;
  }

  async start(bus: Bus): Promise<void> {
    this.#subscription = bus.on$('reply.ready').subscribe((reply) => {
      if (!reply.seedReply) return;
      this.#queue = this.#queue.then(() => this.#deliver(bus, reply));
    });
  }

  async stop(): Promise<void> {
    this.#subscription?.unsubscribe();
    this.#stopped = true;
    await this.#queue;
  }

  async #deliver(bus: Bus, reply: ReplyReady): Promise<void> {
    const { clock, firstDelayMs, maxDelayMs, giveUpAfterMs } = this.#options;
    const startedAt = clock.now();
    // The seed wrote the bare JSON object, without the line end our own connections get. One reply per
    // connection, ended at once: a long one (check_users) is joined here rather than streamed.
    const text = wholeReplyText(reply.text).replace(/\n$/, '');
    let delay = firstDelayMs;
    for (let attempt = 1; ; attempt++) {
      const failure = await this.#attempt(text);
      if (failure === null) {
        await bus.emit('reply.forwarded', { requestId: reply.requestId, target: this.#target, attempts: attempt });
        return;
      }
      const retryable = RETRYABLE.has(failure);
      if (!retryable || this.#stopped || clock.now() + delay - startedAt > giveUpAfterMs) {
        const reason = this.#stopped ? 'the host is stopping' : retryable ? `gave up after ${attempt} attempts (${failure})` : failure;
        await bus.emit('reply.forward.failed', { requestId: reply.requestId, target: this.#target, attempts: attempt, reason });
        return;
      }
      await new Promise<void>((resolve) => clock.setTimeout(resolve, delay));
      delay = Math.min(delay * 2, maxDelayMs);
    }
  }

  /** One connection: null once the reply is written and our side closed, else the error code. */
  #attempt(text: string): Promise<string | null> {
    const { host, port, clock, attemptTimeoutMs } = this.#options;
    return new Promise((resolve) => {
      const socket = net.connect({ host, port });
      let written = false;
      let failure: string | null = null;
      // A listener that takes the reply but never closes its side must not hold the queue.
      const timer = clock.setTimeout(() => {
        failure ??= 'ETIMEDOUT';
        socket.destroy();
      }, attemptTimeoutMs);
      socket.on('error', (error) => {
        failure ??= systemErrorCode(error) ?? String(error);
      });
      socket.on('connect', () => socket.end(text));
      // 'finish': every byte is handed to the kernel and our FIN is queued behind it; a retry would duplicate.
      socket.on('finish', () => {
        written = true;
      });
      socket.on('close', () => {
        clock.clearTimeout(timer);
        resolve(written ? null : failure ?? 'ECONNRESET');
      });
    });
  }
}
