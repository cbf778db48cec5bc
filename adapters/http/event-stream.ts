import type { ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '../../src/clock/clock.ts';

/** Options for the page's server-sent events. */
export interface EventStreamOptions {
  readonly clock: Clock;
  /** A comment line this often keeps proxies and the browser from closing a quiet stream; default 15 s. */
  readonly heartbeatMs?: number;
  /** Bytes a client may leave unread; past it the client is dropped (it reconnects and gets a fresh snapshot). Default 1 MiB. */
  readonly maxBufferedBytes?: number;
  /** Bytes all clients together may leave unread; past it the clients furthest behind are dropped first. Default 4 MiB. */
  readonly maxTotalBufferedBytes?: number;
}

/**
 * The clients of `GET /events`. Each is written the same messages; a client
 * that went away is forgotten when its response closes, and a client that
 * does not read is dropped once what waits for it passes `maxBufferedBytes`,
 * and the ones furthest behind once what waits for all of them passes
 * `maxTotalBufferedBytes`, so no client, and no crowd of them, can make the
 * service hold its messages without bound.
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
  readonly #maxTotalBufferedBytes: number;
  #heartbeat: TimerHandle | null = null;
  /** Clients dropped for not reading, for tests and the curious. */
  dropped = 0;

  constructor(options: EventStreamOptions) {
    this.#clock = options.clock;
    this.#heartbeatMs = options.heartbeatMs ?? 15_000;
    this.#maxBufferedBytes = options.maxBufferedBytes ?? 1024 * 1024;
    this.#maxTotalBufferedBytes = options.maxTotalBufferedBytes ?? 4 * 1024 * 1024;
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
    this.#writeAll(eventMessage(name, data));
  }

  /** Ends every stream. */
  close(): void {
    if (this.#heartbeat !== null) this.#clock.clearTimeout(this.#heartbeat);
    this.#heartbeat = null;
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }

  #writeAll(message: string): void {
    let total = 0;
    for (const client of this.#clients) total += client.writableLength;
    if (total > this.#maxTotalBufferedBytes) {
      // Furthest behind first: they hold the most, and a client that reads keeps its stream.
      for (const client of [...this.#clients].sort((a, b) => b.writableLength - a.writableLength)) {
        if (total <= this.#maxTotalBufferedBytes) break;
        total -= client.writableLength;
        this.#drop(client);
      }
    }
    for (const client of [...this.#clients]) this.#write(client, message);
  }

  #write(client: ServerResponse, message: string): void {
    if (client.writableLength > this.#maxBufferedBytes) return this.#drop(client);
    client.write(message);
  }

  #drop(client: ServerResponse): void {
    this.dropped++;
    this.#clients.delete(client);
    client.destroy();
  }

  #armHeartbeat(): void {
    if (this.#heartbeat !== null) return;
    this.#heartbeat = this.#clock.setTimeout(() => {
      this.#heartbeat = null;
      if (this.#clients.size === 0) return;
      this.#writeAll(': heartbeat\n\n');
      this.#armHeartbeat();
    }, this.#heartbeatMs);
  }
}

/** One server-sent event; JSON has no raw line breaks, so `data` is one line. */
export function eventMessage(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}
