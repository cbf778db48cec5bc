import { SocketAdapter, type SocketAdapterOptions } from '../../adapters/socket/socket-adapter.ts';
import { Bus } from '../../src/bus/bus.ts';
import type { BusEvents } from '../../src/bus/events.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import { resolveHostOptions } from '../../src/host/host-options.ts';
import { RequestRouter } from '../../src/host/request-router.ts';
import { sequentialIds } from '../../src/ids/ids.ts';
import type { BackupVersion } from '../../src/backup/version.ts';
import type { Command, CommandHandler, CommandResult } from '../../src/protocol/commands.ts';
import { jsonDialect } from '../../src/protocol/json-dialect.ts';
import { textDialect } from '../../src/protocol/text-dialect.ts';
import { START } from './host-harness.ts';

/**
 * What the rig's handler answers: `revert` finds no backup (or one whose path
 * is `revertPathBytes` long), `check_users` lists `users` when there are some,
 * any other book request counts no users, `exit` exits.
 */
function resultFor(command: Command, revertPathBytes: number, users: { username: string }[] | undefined): CommandResult {
  switch (command.kind) {
    case 'connection.exit':
      return { kind: 'connection.exit' };
    case 'book':
      if (users && command.request.type === 'users.list') return { kind: 'book', type: 'users.list', result: { users } };
      return { kind: 'book', type: 'users.count', result: { count: 0 } };
    default:
      return { kind: 'backup.revert', version: revertPathBytes > 0 ? ({ path: `/${'p'.repeat(revertPathBytes - 1)}` } as BackupVersion) : null };
  }
}

/**
 * The socket adapter and the real request flow on a bus, with a command
 * handler the test controls: with `hold`, every command waits until the test
 * releases it, so requests stay in flight for as long as a test needs. On a
 * virtual clock, with the host's default limits unless `socket` says otherwise.
 */
export async function startSocketRig(
  socket: Partial<SocketAdapterOptions> = {},
  { hold = false, revertPathBytes = 0, users }: { hold?: boolean; revertPathBytes?: number; users?: { username: string }[] } = {},
) {
  const bus = new Bus();
  const clock = new VirtualClock(START);
  const ids = sequentialIds();
  const held: (() => void)[] = [];
  let holding = hold;
  const handler = ((command: Command) =>
    new Promise<CommandResult>((resolve) => {
      const answer = () => resolve(resultFor(command, revertPathBytes, users));
      if (holding) held.push(answer);
      else answer();
    })) as CommandHandler;
  const router = new RequestRouter({ bus, clock, handler, codecs: { text: textDialect, json: jsonDialect }, timeouts: { defaultMs: 3_600_000, backupMs: 3_600_000 } });
  router.start();
  const defaults = resolveHostOptions({ dataDir: '.', socket: { host: '127.0.0.1', port: 0 } });
  const adapter = new SocketAdapter({ ...(defaults.socket || {}), ids, clock, shutdownGraceMs: defaults.shutdownGraceMs, ...socket } as SocketAdapterOptions);
  await adapter.start(bus);

  /** Per connection: requests on the bus not yet answered, and the most there ever were. */
  const outstanding = new Map<string, number>();
  let mostOutstanding = 0;
  bus.on('requests.received', ({ connectionId, requests }) => {
    const now = (outstanding.get(connectionId) ?? 0) + requests.length;
    outstanding.set(connectionId, now);
    mostOutstanding = Math.max(mostOutstanding, now);
  });
  bus.on('reply.sent', ({ connectionId }) => {
    outstanding.set(connectionId, (outstanding.get(connectionId) ?? 1) - 1);
  });

  /** Each connection's id by the client's port, to tell a test's clients apart on the bus. */
  const idsByPort = new Map<number, string>();
  bus.on('connection.opened', ({ connectionId, remotePort }) => void idsByPort.set(remotePort, connectionId));

  return {
    bus,
    /** The id the adapter gave the connection of the client socket whose local port is `port`. */
    async connectionIdOf(port: number | undefined): Promise<string> {
      while (port === undefined || !idsByPort.has(port)) await settle(1);
      return idsByPort.get(port) as string;
    },
    clock,
    port: adapter.address()!.port,
    /** How many commands wait for `release`. */
    get held() {
      return held.length;
    },
    /** The most requests any one connection ever had on the bus unanswered. */
    get mostOutstanding() {
      return mostOutstanding;
    },
    /** Answers the held commands, and from now on answers at once. */
    release() {
      holding = false;
      for (const answer of held.splice(0)) answer();
    },
    /** The next `name` event that satisfies `predicate`. */
    next<K extends keyof BusEvents>(name: K, predicate: (payload: BusEvents[K]) => boolean = () => true) {
      return bus.once(name, predicate);
    },
    async stop() {
      this.release();
      await adapter.stop();
      router.stop();
    },
  };
}

/** Lets the event loop run a few turns, so bytes written on loopback reach the server before a virtual clock moves. */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
