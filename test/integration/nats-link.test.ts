import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { NatsLink } from '../../adapters/nats/nats-link.ts';
import { Bus } from '../../src/bus/bus.ts';
import { freePort } from '../helpers/free-port.ts';
import { NATS_SERVER, natsServerOr } from '../helpers/nats-cluster.ts';

/** One nats-server that asks for a user and password (the shared helper's servers ask for none). */
async function startServerWithPassword(user: string, pass: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(NATS_SERVER as string, ['-a', '127.0.0.1', '-p', String(port), '--user', user, '--pass', pass], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (log += text));
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (log += text));
  const deadline = Date.now() + 10_000;
  while (!log.includes('Server is ready')) {
    assert.ok(Date.now() < deadline && child.exitCode === null, `nats-server did not start:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { url: `127.0.0.1:${port}`, child };
}

describe('the NATS link', () => {
  const children: ChildProcess[] = [];
  after(() => children.forEach((child) => child.kill('SIGKILL')));

  it('connects with the user and password of its server URL, and says closed once when it closes', async (t) => {
    if (!natsServerOr(t)) return;
    const server = await startServerWithPassword('app', 's3cret@x');
    children.push(server.child);
    const bus = new Bus();
    const states: string[] = [];
    bus.on$('cluster.link').subscribe((event) => states.push(event.state));
    const link = new NatsLink({ servers: [`nats://app:s3cret%40x@${server.url}`], nodeName: 'a' });
    await link.open(bus);
    assert.equal(link.connected, true);
    await link.close();
    assert.deepEqual(states, ['connected', 'closed']);
    assert.equal(link.connected, false);
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(states, ['connected', 'closed'], 'closed is told once');
  });

  it('is refused with a wrong password', async (t) => {
    if (!natsServerOr(t)) return;
    const server = await startServerWithPassword('app', 's3cret');
    children.push(server.child);
    const link = new NatsLink({ servers: [`nats://app:wrong@${server.url}`], nodeName: 'a' });
    await assert.rejects(link.open(new Bus()), /auth/i);
  });

  it('says closed when the server goes away for good and the client gives up', async (t) => {
    if (!natsServerOr(t)) return;
    const server = await startServerWithPassword('app', 's3cret');
    children.push(server.child);
    const bus = new Bus();
    const states: string[] = [];
    bus.on$('cluster.link').subscribe((event) => states.push(event.state));
    const link = new NatsLink({ servers: [`nats://app:s3cret@${server.url}`], nodeName: 'a' });
    await link.open(bus);
    // The link reconnects for ever; only the client closing the connection itself (here: by hand, as a fatal error would) ends it.
    await link.connection.close();
    const deadline = Date.now() + 5_000;
    while (!states.includes('closed') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(states, ['connected', 'closed']);
    assert.equal(link.connected, false);
    await link.close();
    assert.deepEqual(states, ['connected', 'closed']);
  });

  it('closes within its bound when its server is gone or frozen, so a node whose cluster is unreachable still stops', async (t) => {
    if (!natsServerOr(t)) return;
    for (const fault of ['SIGKILL', 'SIGSTOP'] as const) {
      const server = await startServerWithPassword('app', 's3cret');
      children.push(server.child);
      const bus = new Bus();
      const link = new NatsLink({ servers: [`nats://app:s3cret@${server.url}`], nodeName: 'a' });
      await link.open(bus);
      // A subscription the drain must take back from the server: it can only wait for an answer.
      link.connection.subscribe('anything', { callback: () => undefined });
      server.child.kill(fault);
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        // Failing here beats hanging the file until the runner's time limit.
        await Promise.race([link.close(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`${fault}: close() hung`)), 10_000)))]);
      } finally {
        clearTimeout(timer);
        if (fault === 'SIGSTOP') server.child.kill('SIGCONT');
      }
      const tookMs = Date.now() - started;
      assert.ok(tookMs < 4_000, `${fault}: closed after ${tookMs} ms`);
      assert.equal(link.connected, false);
    }
  });
});
