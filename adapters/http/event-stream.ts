import type { ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '../../src/clock/clock.ts';

/** Options for the page's server-sent events. */
export interface EventStreamOptions {
  readonly clock: Clock;
  /** A comment line this often keeps proxies and the browser from closing a quiet stream; default 15 s. */
  readonly heartbeatMs?: number;
  /** Bytes a client may leave unread; past it the client is dropped (it reconnects and gets a fresh snapshot). Default 1 MiB. */
  readonly maxBufferedBytes?: number;
}

/**
 * The clients of `GET /events`. Each is written the same messages; a client
 * that went away is forgotten when its response closes, and a client that
 * does not read is dropped once what waits for it passes `maxBufferedBytes`,
 * so no client can make the service hold its messages without bound.
 *
 * @example
 * const stream = new EventStream({ clock, maxBufferedBytes: 1024 * 1024 });
 * stream.add(response, eventMessage('snapshot', await snapshots.snapshot()));
 * stream.broadcast('snapshot', next);
 */
export class EventStream {
  readonly #clients = new Set<ServerResponse>();
  readonly #clock: Clock;
  readonly #heartbeatMs: number;
  readonly #maxBufferedBytes: number;
  #heartbeat: TimerHandle | null = null;
  /** Clients dropped for not reading, for tests and the curious. */
  dropped = 0;

  constructor(options: EventStreamOptions) {
    this.#clock = options.clock;
    this.#heartbeatMs = options.heartbeatMs ?? 15_000;
    this.#maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Takes a response as a new client: headers, then `first` (its first message). */
  add(response: ServerResponse, first: string): void {
    response.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    // An EventSource retries after a drop; 2 s rather than its default 3, and the first message says so.
    this.#clients.add(response);
    response.on('close', () => this.#clients.delete(response));
    this.#write(response, `retry: 2000\n${first}`);
    this.#armHeartbeat();
  }

  /** Sends one event (`name`, JSON `data`) to every client. */
  broadcast(name: string, data: unknown): void {
    if (this.#clients.size === 0) return;
    const message = eventMessage(name, data);
    for (const client of [...this.#clients]) this.#write(client, message);
  }

  /** Ends every stream. */
  close(): void {
    if (this.#heartbeat !== null) this.#clock.clearTimeout(this.#heartbeat);
    this.#heartbeat = null;
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }

  #write(client: ServerResponse, message: string): void {
    if (client.writableLength > this.#maxBufferedBytes) {
      this.dropped++;
      this.#clients.delete(client);
      client.destroy();
      return;
    }
    client.write(message);
  }

  #armHeartbeat(): void {
    if (this.#heartbeat !== null) return;
    this.#heartbeat = this.#clock.setTimeout(() => {
      this.#heartbeat = null;
      if (this.#clients.size === 0) return;
      for (const client of [...this.#clients]) this.#write(client, ': heartbeat\n\n');
      this.#armHeartbeat();
    }, this.#heartbeatMs);
  }
}

/** One server-sent event; JSON has no raw line breaks, so `data` is one line. */
export function eventMessage(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}
