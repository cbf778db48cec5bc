import net from 'node:net';
import type { Subscription } from 'rxjs';
import type { Bus } from '../../src/bus/bus.ts';
import type { Clock } from '../../src/clock/clock.ts';
import { systemErrorCode } from '../../src/errors/safekeep-error.ts';
import type { HostAdapter } from '../../src/ports/host-adapter.ts';
import type { IdSource } from '../../src/ids/ids.ts';
import { ListenFailedError } from '../../src/protocol/errors.ts';
import { Connection, type ConnectionOptions } from './connection.ts';
import { pickEvictee } from './eviction.ts';

/** Connections refused at the cap may wait this many at once for their one reply; more are dropped unanswered. */
const MAX_REFUSING = 64;

export interface SocketAdapterOptions extends ConnectionOptions {
  readonly host: string;
  /** 0 picks a free port; `address()` tells which. */
  readonly port: number;
  readonly ids: IdSource;
  readonly clock: Clock;
  /** On shutdown, how long connections may take to get the replies they wait for; after it every one is closed. */
  readonly shutdownGraceMs: number;
  /** Connections served at once; a new client past it takes the place of an idle or slow one (see `pickEvictee`). */
  readonly maxConnections: number;
}

/**
 * The TCP edge. It turns client bytes into `requests.received` events and
 * `reply.ready` events back into bytes, and knows nothing of what the
 * requests mean.
 *
 * At `maxConnections`, a new client is still served: the connection that has
 * been idle longest (nothing on the bus, nothing partly received) is closed
 * to make room, else the one whose unfinished request began earliest. Only
 * when every connection waits for answers is the new one refused, with one
 * TOO_MANY_CONNECTIONS reply.
 */
export class SocketAdapter implements HostAdapter {
  readonly name = 'socket';
  readonly #options: SocketAdapterOptions;
  readonly #connections = new Map<string, Connection>();
  /** The admitted connections, which count against the cap (refused ones are only waiting for their one reply). */
  readonly #admitted = new Set<Connection>();
  #refusing = 0;
  #server: net.Server | null = null;
  #subscription: Subscription | null = null;

  constructor(options: SocketAdapterOptions) {
    this.#options = options;
  }

  /** Where the socket listens, once started. */
  address(): { host: string; port: number } | null {
    const address = this.#server?.address();
    return address && typeof address === 'object' ? { host: address.address, port: address.port } : null;
  }

  async start(bus: Bus): Promise<void> {
    const { ids, clock, host, port } = this.#options;
    this.#subscription = bus.on$('reply.ready').subscribe((reply) => this.#connections.get(reply.connectionId)?.deliver(reply));

    // allowHalfOpen: a client that sends and then shuts down its writing side still gets its replies.
    const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      const admitted = this.#makeRoom();
      if (!admitted && this.#refusing >= MAX_REFUSING) {
        socket.destroy();
        return;
      }
      const connection = new Connection(ids.next('conn'), socket, { bus, clock, options: this.#options, admitted });
      this.#connections.set(connection.id, connection);
      if (admitted) this.#admitted.add(connection);
      else this.#refusing++;
      void connection.closed.then(() => {
        this.#connections.delete(connection.id);
        if (admitted) this.#admitted.delete(connection);
        else this.#refusing--;
      });
    });
    this.#server = server;

    await new Promise<void>((resolve, reject) => {
      server.once('error', (error) => {
        const code = systemErrorCode(error);
        const why = code === 'EADDRINUSE' ? 'the port is already in use' : code === 'EACCES' ? 'permission denied' : String(code ?? error);
        reject(new ListenFailedError(`Cannot listen on ${host}:${port}: ${why}`, { cause: error }));
      });
      server.listen(port, host, () => resolve());
    });
  }

  /** Whether a new connection can be admitted, closing an idle or slow one if that is what it takes. */
  #makeRoom(): boolean {
    if (this.#admitted.size < this.#options.maxConnections) return true;
    const evictee = pickEvictee(this.#admitted, (connection) => connection.evictionRank());
    if (!evictee) return false;
    this.#admitted.delete(evictee);
    evictee.evict();
    return true;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    await Promise.all([...this.#connections.values()].map((connection) => connection.shutdown(this.#options.shutdownGraceMs)));
    this.#subscription?.unsubscribe();
    await closed;
    this.#server = null;
  }
}
