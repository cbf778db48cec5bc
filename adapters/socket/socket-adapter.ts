import net from 'node:net';
import type { Subscription } from 'rxjs';
import type { Bus } from '../../src/bus/bus.ts';
import type { Clock } from '../../src/clock/clock.ts';
import { systemErrorCode } from '../../src/errors/safekeep-error.ts';
import type { HostAdapter } from '../../src/ports/host-adapter.ts';
import type { IdSource } from '../../src/ids/ids.ts';
import { ListenFailedError } from '../../src/protocol/errors.ts';
import { Connection, type ConnectionOptions } from './connection.ts';

export interface SocketAdapterOptions extends ConnectionOptions {
  readonly host: string;
  /** 0 picks a free port; `address()` tells which. */
  readonly port: number;
  readonly ids: IdSource;
  readonly clock: Clock;
  /** On shutdown, how long connections may take to get the replies they wait for. */
  readonly shutdownGraceMs: number;
  readonly maxConnections: number;
}

/**
 * The TCP edge. It turns client bytes into `request.received` events and
 * `reply.ready` events back into bytes, and knows nothing of what the
 * requests mean.
 */
export class SocketAdapter implements HostAdapter {
  readonly name = 'socket';
  readonly #options: SocketAdapterOptions;
  readonly #connections = new Map<string, Connection>();
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
      const connection = new Connection(ids.next('conn'), socket, { bus, ids, clock, options: this.#options });
      this.#connections.set(connection.id, connection);
      void connection.closed.then(() => this.#connections.delete(connection.id));
    });
    server.maxConnections = this.#options.maxConnections;
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
