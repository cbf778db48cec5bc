import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Bus } from '../../src/bus/bus.ts';
import type { Clock, TimerHandle } from '../../src/clock/clock.ts';
import type { HostAdapter } from '../../src/ports/host-adapter.ts';
import type { StatusSource } from '../../src/ports/status-source.ts';
import { BusMetrics } from './bus-metrics.ts';
import { EventStream, eventMessage } from './event-stream.ts';
import { Health } from './health.ts';
import { RunHistory, type SeedVersion } from './run-history.ts';
import { SnapshotBuilder } from './status-snapshot.ts';
import { StaticFiles } from './static-files.ts';

/** What the HTTP adapter needs. */
export interface HttpAdapterOptions {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** 0 picks a free port; `address()` tells which. */
  readonly port: number;
  readonly clock: Clock;
  readonly status: StatusSource;
  /** The catalog's versions, to draw sizes of the last day after a restart. */
  readonly seed?: readonly SeedVersion[];
  /** Least time between two pushes to `/events` after a run or a connection changed; default 250 ms. */
  readonly pushIntervalMs?: number;
  /** Least time between pushes when only the request count changed; default 1 s. */
  readonly requestPushIntervalMs?: number;
  /** Heartbeat comment on `/events`; default 15 s. */
  readonly heartbeatMs?: number;
  /** Bytes an `/events` client may leave unread before it is dropped; default 1 MiB. */
  readonly maxEventBufferBytes?: number;
  /** Bytes all `/events` clients together may leave unread; past it the one furthest behind is dropped. Default 4 MiB. */
  readonly maxEventBufferTotalBytes?: number;
  /** `/events` clients at once; one more is answered 503 with `Retry-After`. Default 32. */
  readonly maxEventClients?: number;
  /** Open connections at once (Node's `server.maxConnections`); one more is closed as it arrives. Default 128. */
  readonly maxConnections?: number;
  /** Time for a request's headers to arrive whole; default 10 s. */
  readonly headersTimeoutMs?: number;
  /** Time for a whole request to arrive (not its answer: an `/events` stream lasts); default 10 s. */
  readonly requestTimeoutMs?: number;
  /** How often Node looks for requests past those times; default 1 s. */
  readonly timeoutCheckIntervalMs?: number;
}

/** Seconds an `/events` client turned away is told to wait (`Retry-After`). */
const EVENTS_RETRY_AFTER_S = 5;

/** Every answer carries these: the page loads only its own files, and browsers take each file for the type it is sent as. */
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
} as const;

/**
 * The operator's window on the service, over HTTP (`--http HOST:PORT`): the
 * status page (`/`) with its files and uPlot's, a JSON snapshot
 * (`/api/status`), live updates as server-sent events (`/events`),
 * Prometheus metrics (`/metrics`), liveness (`/healthz`) and readiness
 * (`/readyz`). It
 * only looks: nothing it serves changes the service, and nothing it does
 * travels on the bus as a request (see StatusSource). There is no login,
 * which is why it listens on loopback unless told otherwise.
 *
 * @example
 * const http = new HttpAdapter({ port: 0, clock: systemClock, status });
 * await http.start(bus);
 * console.log(`status page on http://127.0.0.1:${http.address()?.port}/`);
 */
export class HttpAdapter implements HostAdapter {
  readonly name = 'http';
  readonly #options: HttpAdapterOptions;
  readonly #history: RunHistory;
  readonly #snapshots: SnapshotBuilder;
  readonly #health: Health;
  readonly #events: EventStream;
  #metrics: BusMetrics | null = null;
  #files: StaticFiles | null = null;
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();
  readonly #unsubscribers: { unsubscribe(): void }[] = [];
  #push: { timer: TimerHandle; due: number } | null = null;
  #lastPushAt = -Infinity;
  #pushing = false;
  /** The newest run the last push carried. */
  #pushedSeq = 0;
  #pushAgain = false;
  /** `/events` requests waiting for their first snapshot: they count against the cap before they are clients. */
  #eventsPending = 0;

  constructor(options: HttpAdapterOptions) {
    this.#options = options;
    this.#history = new RunHistory({ clock: options.clock });
    if (options.seed) this.#history.seed(options.seed);
    this.#snapshots = new SnapshotBuilder({ status: options.status, history: this.#history, clock: options.clock });
    this.#health = new Health(options.clock);
    this.#events = new EventStream({
      clock: options.clock,
      ...(options.heartbeatMs !== undefined ? { heartbeatMs: options.heartbeatMs } : {}),
      ...(options.maxEventBufferBytes !== undefined ? { maxBufferedBytes: options.maxEventBufferBytes } : {}),
      ...(options.maxEventBufferTotalBytes !== undefined ? { maxTotalBufferedBytes: options.maxEventBufferTotalBytes } : {}),
    });
  }

  /** Where it listens (with the real port when 0 was asked), or null when not listening. */
  address(): { host: string; port: number } | null {
    const address = this.#server?.address();
    return address && typeof address === 'object' ? { host: address.address, port: address.port } : null;
  }

  /** Connections open now (any path): at most `maxConnections`. */
  get openConnections(): number {
    return this.#sockets.size;
  }

  /** Clients of `/events` now, and those dropped for not reading. */
  get eventClients(): { open: number; dropped: number } {
    return { open: this.#events.size, dropped: this.#events.dropped };
  }

  async start(bus: Bus): Promise<void> {
    this.#files = await StaticFiles.locate();
    const { clock, status } = this.#options;
    this.#metrics = new BusMetrics({ bus, clock, status });
    this.#metrics.start();
    this.#health.start(bus);
    this.#history.start(bus, (what) => this.#schedulePush(what === 'requests' ? (this.#options.requestPushIntervalMs ?? 1_000) : this.#pushIntervalMs()));
    this.#snapshots.start(bus, () => this.#schedulePush(this.#pushIntervalMs()));
    // Jobs change state without a run ending (scheduled, paused, resumed, removed): the page shows that too.
    for (const name of ['backup.scheduled', 'backup.copy.started', 'backup.paused', 'backup.resumed', 'backup.job.removed', 'backup.pruned', 'host.started', 'host.stopping'] as const) {
      this.#unsubscribers.push(bus.on$(name).subscribe(() => this.#schedulePush(this.#pushIntervalMs())));
    }
    // Bounded: a client that sends its headers slowly is cut off, and so is every connection past the cap. Node applies
    // requestTimeout only until a request has arrived whole, so a long `/events` answer is not cut by it.
    const requestTimeout = this.#options.requestTimeoutMs ?? 10_000;
    const server = createServer(
      {
        headersTimeout: Math.min(this.#options.headersTimeoutMs ?? 10_000, requestTimeout),
        requestTimeout,
        connectionsCheckingInterval: this.#options.timeoutCheckIntervalMs ?? 1_000,
      },
      (request, response) => void this.#handle(request, response),
    );
    server.maxConnections = this.#options.maxConnections ?? 128;
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    // A client too slow with its request is told so; one that goes away mid-answer must not take the process down.
    server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT' && socket.writable) socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.#options.port, this.#options.host ?? '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (error) {
      // A taken port: the host's start fails with Node's words (they name the address), and nothing stays subscribed.
      await this.stop();
      throw error;
    }
    this.#server = server;
  }

  async stop(): Promise<void> {
    this.#health.stopping();
    for (const subscription of this.#unsubscribers.splice(0)) subscription.unsubscribe();
    this.#history.stop();
    this.#snapshots.stop();
    this.#health.stop();
    this.#metrics?.stop();
    if (this.#push) this.#options.clock.clearTimeout(this.#push.timer);
    this.#push = null;
    this.#events.close();
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive sockets and streams would hold close() open: everything still open is cut.
    for (const socket of this.#sockets) socket.destroy();
    await closed;
  }

  #pushIntervalMs(): number {
    return this.#options.pushIntervalMs ?? 250;
  }

  /** Pushes a snapshot at most once per `intervalMs`; an earlier due time wins over a later one. */
  #schedulePush(intervalMs: number): void {
    if (this.#events.size === 0 || !this.#server) return;
    const { clock } = this.#options;
    const due = Math.max(clock.now(), this.#lastPushAt + intervalMs);
    if (this.#push && this.#push.due <= due) return;
    if (this.#push) clock.clearTimeout(this.#push.timer);
    const timer = clock.setTimeout(() => {
      this.#push = null;
      void this.#pushNow();
    }, due - clock.now());
    this.#push = { timer, due };
  }

  async #pushNow(): Promise<void> {
    // One snapshot at a time: one asked for meanwhile is taken after, with what changed since.
    if (this.#pushing) {
      this.#pushAgain = true;
      return;
    }
    this.#pushing = true;
    try {
      this.#lastPushAt = this.#options.clock.now();
      // Every page on the stream has the runs up to the last push (or more, from its first snapshot): only newer ones go.
      const snapshot = await this.#snapshots.snapshot(this.#pushedSeq).catch(() => null);
      if (snapshot && this.#server) {
        this.#events.broadcast('snapshot', snapshot);
        this.#pushedSeq = snapshot.history.lastSeq;
      }
    } finally {
      this.#pushing = false;
      if (this.#pushAgain) {
        this.#pushAgain = false;
        this.#schedulePush(this.#pushIntervalMs());
      }
    }
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.setHeader('Allow', 'GET, HEAD');
        return sendJson(response, 405, { error: 'method not allowed: use GET' });
      }
      // The path alone: a query string is ignored, and never sent back.
      const pathname = (request.url ?? '/').split('?', 1)[0] ?? '/';
      await this.#route(pathname, request, response);
    } catch {
      // What went wrong stays here: the answer says only that it did.
      if (!response.headersSent) sendJson(response, 500, { error: 'internal error' });
      else response.destroy();
    }
  }

  async #route(pathname: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (pathname === '/healthz' || pathname === '/readyz') {
      const report = pathname === '/healthz' ? this.#health.liveness() : this.#health.readiness();
      return sendJson(response, report.status === 'ok' ? 200 : 503, report);
    }
    if (pathname === '/api/status') return sendJson(response, 200, await this.#snapshots.snapshot());
    if (pathname === '/events') {
      if (request.method === 'HEAD') return sendJson(response, 200, null);
      return this.#addEventClient(response);
    }
    if (pathname === '/metrics' && this.#metrics) {
      const text = await this.#metrics.render();
      response.writeHead(200, { 'Content-Type': this.#metrics.contentType, 'Cache-Control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : text);
      return;
    }
    const files = this.#files;
    const file = !files
      ? null
      : pathname === '/'
        ? await files.page('index.html')
        : pathname.startsWith('/page/')
          ? await files.page(pathname.slice('/page/'.length))
          : pathname.startsWith('/assets/')
            ? await files.asset(pathname.slice('/assets/'.length))
            : null;
    if (!file) return sendJson(response, 404, { error: 'not found' });
    response.writeHead(200, { 'Content-Type': file.contentType, 'Content-Length': file.body.length, 'Cache-Control': 'no-cache' });
    response.end(request.method === 'HEAD' ? undefined : file.body);
  }

  async #addEventClient(response: ServerResponse): Promise<void> {
    if (this.#events.size + this.#eventsPending >= (this.#options.maxEventClients ?? 32)) {
      response.setHeader('Retry-After', String(EVENTS_RETRY_AFTER_S));
      return sendJson(response, 503, { error: 'too many clients of /events: try again later' });
    }
    // A client may leave while its first snapshot is taken: its close is heard from now on, or it would stay a client.
    let gone = false;
    const onClose = () => (gone = true);
    response.once('close', onClose);
    this.#eventsPending++;
    let first: string;
    try {
      first = eventMessage('snapshot', await this.#snapshots.snapshot());
    } finally {
      this.#eventsPending--;
      response.off('close', onClose);
    }
    if (gone || response.destroyed) return;
    // The adapter stopped meanwhile: its streams are closed, and this one must not start.
    if (!this.#server) return void response.destroy();
    this.#events.add(response, first);
  }
}

function sendJson(response: ServerResponse, statusCode: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(statusCode, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  response.end(response.req.method === 'HEAD' ? undefined : text);
}
