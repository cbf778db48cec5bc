import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { Bus } from '../../src/bus/bus.ts';
import { systemClock } from '../../src/clock/clock.ts';
import type { StatusSource } from '../../src/ports/status-source.ts';
import { HttpAdapter, type HttpAdapterOptions } from '../../adapters/http/http-adapter.ts';
import { EventStreamReader } from '../helpers/event-stream-reader.ts';

const status: StatusSource = {
  status: async () => ({ version: 'test', startedAt: 0, uptimeMs: 1, jobs: [] }),
  bookCounts: async () => ({ users: 0, entries: 0 }),
};

async function started(options: Partial<HttpAdapterOptions> = {}) {
  const bus = new Bus();
  const adapter = new HttpAdapter({ port: 0, clock: systemClock, status, ...options });
  await adapter.start(bus);
  await bus.emit('host.started', { listening: null });
  return { adapter, port: adapter.address()!.port, base: `http://127.0.0.1:${adapter.address()!.port}` };
}

/** A raw connection that has sent `text` and collects what comes back until it closes. */
async function rawClient(port: number, text: string) {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const closed = once(socket, 'close').then(() => received);
  await once(socket, 'connect');
  if (text) socket.write(text);
  return { socket, closed, received: () => received };
}

describe('the HTTP adapter’s limits', () => {
  it('answers 503 with Retry-After to an /events client past the cap, still answers /healthz, and takes a new client once one leaves', async () => {
    const { adapter, base } = await started({ maxEventClients: 3 });
    const readers: EventStreamReader[] = [];
    for (let i = 0; i < 3; i++) {
      const reader = new EventStreamReader(await fetch(`${base}/events`));
      await reader.next();
      readers.push(reader);
    }
    for (let i = 0; i < 5; i++) {
      const extra = await fetch(`${base}/events`);
      assert.equal(extra.status, 503);
      assert.equal(extra.headers.get('retry-after'), '5');
      assert.match(((await extra.json()) as { error: string }).error, /too many clients of \/events/);
    }
    assert.equal(adapter.eventClients.open, 3);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);

    await readers.pop()!.cancel();
    while (adapter.eventClients.open > 2) await new Promise((resolve) => setImmediate(resolve));
    const again = new EventStreamReader(await fetch(`${base}/events`));
    assert.equal((await again.next()).event, 'snapshot');
    for (const reader of [...readers, again]) await reader.cancel();
    await adapter.stop();
  });

  it('cuts off a client that sends its headers too slowly, with a 408, and keeps serving the others', { timeout: 10_000 }, async () => {
    const { base, port, adapter } = await started({ headersTimeoutMs: 150, requestTimeoutMs: 150, timeoutCheckIntervalMs: 20 });
    const startedAt = Date.now();
    // Half a request, and then nothing more: a slowloris holding a connection.
    const slow = await rawClient(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const answer = await slow.closed;
    assert.ok(Date.now() - startedAt >= 150, 'not before its time');
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    await adapter.stop();
  });

  it('keeps an /events stream open past the request timeout: the timeout is for the request, not its answer', { timeout: 10_000 }, async () => {
    const { port, adapter } = await started({ headersTimeoutMs: 100, requestTimeoutMs: 100, timeoutCheckIntervalMs: 20, heartbeatMs: 50 });
    const client = await rawClient(port, 'GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    // Eight heartbeats, 50 ms apart: four times the request timeout.
    while ((client.received().match(/: heartbeat\n\n/g) ?? []).length < 8) {
      assert.ok(!client.socket.destroyed, 'the stream was cut');
      await once(client.socket, 'data');
    }
    assert.match(client.received(), /^HTTP\/1\.1 200 /);
    assert.equal(adapter.eventClients.open, 1);
    client.socket.destroy();
    await adapter.stop();
  });

  it('closes a connection past maxConnections as it arrives, and answers again once one goes', async () => {
    const { base, port, adapter } = await started({ maxConnections: 3 });
    const held = await Promise.all([0, 1, 2].map(() => rawClient(port, '')));
    while (adapter.openConnections < 3) await new Promise((resolve) => setImmediate(resolve));
    const extra = await rawClient(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    assert.equal(await extra.closed, '', 'closed without an answer');
    held[0]!.socket.destroy();
    await held[0]!.closed;
    while (adapter.openConnections > 2) await new Promise((resolve) => setImmediate(resolve));
    assert.equal((await fetch(`${base}/healthz`, { headers: { connection: 'close' } })).status, 200);
    for (const client of held) client.socket.destroy();
    await adapter.stop();
  });
});
