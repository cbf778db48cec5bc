import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { Bus } from '../../src/bus/bus.ts';
import { InvalidClusterOptionsError } from '../../src/cluster/cluster-options.ts';
import { natsServerList, type NatsServerList } from '../../src/cluster/nats-server-urls.ts';

/** How long a close waits for the connection to drain (the server confirming it took what was sent). */
const DRAIN_BOUND_MS = 2_000;

/**
 * The node's one connection to NATS, shared by every part of the cluster
 * adapter. It reconnects for as long as the node runs, and tells the bus
 * each time the link drops or returns (`cluster.link`), and once when it
 * closes for good (`closed`: the node stops, or the client gives up): while
 * it is down the parts refuse writes rather than let the client library buffer them.
 */
export class NatsLink {
  /** The servers without the credentials their URLs carried (the client would ignore them there), and those credentials. */
  readonly #servers: NatsServerList;
  readonly #name: string;
  readonly #learnServers: boolean;
  #connection: NatsConnection | null = null;
  #connected = false;
  #server: string | null = null;
  /** Set once `closed` is told: by close(), or when the client gives the connection up for good. */
  #closedTold = false;
  #bus: Bus | null = null;

  /**
   * `learnServers: false` keeps the link to the servers it was given (tests
   * use it to cut one node off); by default it also fails over to the
   * servers the cluster tells it of.
   */
  constructor(options: { servers: readonly string[]; nodeName: string; learnServers?: boolean }) {
    const servers = natsServerList(options.servers);
    if ('why' in servers) throw new InvalidClusterOptionsError(`Cluster server ${servers.position} of ${options.servers.length} is wrong (${servers.why})`);
    this.#servers = servers;
    this.#name = options.nodeName;
    this.#learnServers = options.learnServers ?? true;
  }

  get connection(): NatsConnection {
    if (!this.#connection) throw new Error('The NATS link is not open');
    return this.#connection;
  }

  /** Whether the link is up now. */
  get connected(): boolean {
    return this.#connected;
  }

  /** The server it is connected to (`host:port`), or null. */
  get server(): string | null {
    return this.#server;
  }

  async open(bus: Bus): Promise<void> {
    const { servers, user, pass, token } = this.#servers;
    const connection = await connect({
      servers: [...servers],
      ...(user !== undefined ? { user, pass } : {}),
      ...(token !== undefined ? { token } : {}),
      name: `safekeep ${this.#name}`,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      // Otherwise every request makes two Error objects (stack traces) up front, in case it fails: a third of a routed request's CPU.
      noAsyncTraces: true,
      ignoreClusterUpdates: !this.#learnServers,
    });
    this.#connection = connection;
    this.#bus = bus;
    this.#closedTold = false;
    this.#connected = true;
    this.#server = connection.getServer();
    void bus.emit('cluster.link', { state: 'connected', server: this.#server });
    void (async () => {
      for await (const status of connection.status()) {
        if (status.type === 'disconnect') {
          this.#connected = false;
          this.#server = null;
          void bus.emit('cluster.link', { state: 'disconnected' });
        } else if (status.type === 'reconnect') {
          this.#connected = true;
          this.#server = connection.getServer();
          void bus.emit('cluster.link', { state: 'reconnected', server: this.#server });
        }
      }
    })();
    // It reconnects for ever, so the connection closes for good only when asked to, or when the client gives up (a fatal error, such as refused credentials).
    void connection.closed().then(() => this.#tellClosed());
  }

  async close(): Promise<void> {
    const connection = this.#connection;
    this.#connection = null;
    this.#connected = false;
    if (connection && !connection.isClosed()) {
      // A drain waits for the server to confirm it: with none to reach (all gone, or one frozen) it would wait
      // for ever, and so would the node's stop. Bounded, then closed without it.
      const drained = connection.drain().then(
        () => true,
        () => false,
      );
      // A timer that holds the process up meanwhile: a stop must finish (and tell `closed`) before it may exit.
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), DRAIN_BOUND_MS)));
      const inTime = await Promise.race([drained, bound]);
      clearTimeout(timer);
      if (!inTime) await connection.close().catch(() => undefined);
    }
    // Told here, awaited, rather than when closed() resolves: the stop goes on only once the bus has it.
    if (connection) await this.#tellClosed();
  }

  async #tellClosed(): Promise<void> {
    if (this.#closedTold || !this.#bus) return;
    this.#closedTold = true;
    this.#connected = false;
    this.#server = null;
    await this.#bus.emit('cluster.link', { state: 'closed' });
  }
}
