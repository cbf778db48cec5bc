import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { Bus } from '../../src/bus/bus.ts';
import { systemClock } from '../../src/clock/clock.ts';
import type { JobReport, ServiceStatus } from '../../src/backup/job-report.ts';
import type { StatusSource } from '../../src/ports/status-source.ts';
import { HttpAdapter } from '../../adapters/http/http-adapter.ts';
import { EventStreamReader } from '../helpers/event-stream-reader.ts';

/** A status source with `jobs` made-up jobs: a big snapshot fills a slow client's buffers in few pushes. */
function statusWith(jobs: number): StatusSource {
  const job = (i: number): JobReport => ({
    id: `job-${i}`,
    source: `/srv/data/${'x'.repeat(200)}/${i}.json`,
    kind: 'file',
    intervalMs: 60_000,
    state: 'scheduled',
    lastRun: null,
    nextRunAt: null,
    versions: i,
    totalBytes: i * 1024,
    damagedVersions: 0,
  });
  const status: ServiceStatus = { version: 'test', startedAt: 0, uptimeMs: 1, jobs: Array.from({ length: jobs }, (_, i) => job(i)) };
  return { status: async () => status, bookCounts: async () => ({ users: 0, entries: 0 }) };
}

async function started(options: Partial<ConstructorParameters<typeof HttpAdapter>[0]> & { jobs?: number } = {}) {
  const bus = new Bus();
  const adapter = new HttpAdapter({ port: 0, clock: systemClock, status: statusWith(options.jobs ?? 1), ...options });
  await adapter.start(bus);
  await bus.emit('host.started', { listening: null });
  return { bus, adapter, port: adapter.address()!.port };
}

describe('/events', () => {
  it('drops a client that does not read once its unread bytes pass the limit, and keeps serving the others', async () => {
    const { bus, adapter, port } = await started({ jobs: 300, pushIntervalMs: 1, maxEventBufferBytes: 256 * 1024 });
    // A client that asks and then never reads: the kernel's buffers fill, then the server's.
    const slow = net.connect({ host: '127.0.0.1', port });
    await once(slow, 'connect');
    slow.pause();
    slow.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
    slow.on('error', () => undefined); // the drop may reach it as a reset
    const closed = once(slow, 'close');
    const reader = new EventStreamReader(await fetch(`http://127.0.0.1:${port}/events`));
    await reader.next();
    // Each change is pushed (a millisecond apart at most); a reading client takes each as it comes.
    for (let i = 0; adapter.eventClients.dropped === 0; i++) {
      assert.ok(i < 5_000, 'the slow client was never dropped');
      await bus.emit('connection.opened', { connectionId: `c${i}`, remoteAddress: '127.0.0.1', remotePort: 1 });
      await reader.next((event) => event.event === 'snapshot' && JSON.parse(event.data).connections === i + 1);
    }
    // It finds out once it reads again: what was sent is there, then the end.
    slow.resume();
    await closed;
    assert.deepEqual(adapter.eventClients, { open: 1, dropped: 1 });
    await reader.cancel();
    await adapter.stop();
  });

  it('drops the clients furthest behind once all clients together leave more unread than the total limit', async () => {
    const { bus, adapter, port } = await started({ jobs: 300, pushIntervalMs: 1, maxEventBufferBytes: 64 * 1024 * 1024, maxEventBufferTotalBytes: 256 * 1024 });
    // Two clients that never read: each stays under its own (large) limit, but together they pass the total.
    const slow = await Promise.all([0, 1].map(async () => {
      const socket = net.connect({ host: '127.0.0.1', port });
      await once(socket, 'connect');
      socket.pause();
      socket.on('error', () => undefined);
      socket.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
      return socket;
    }));
    const reader = new EventStreamReader(await fetch(`http://127.0.0.1:${port}/events`));
    await reader.next();
    for (let i = 0; adapter.eventClients.dropped < 2; i++) {
      assert.ok(i < 5_000, 'the slow clients were never dropped');
      await bus.emit('connection.opened', { connectionId: `c${i}`, remoteAddress: '127.0.0.1', remotePort: 1 });
      await reader.next((event) => event.event === 'snapshot' && JSON.parse(event.data).connections === i + 1);
    }
    assert.deepEqual(adapter.eventClients, { open: 1, dropped: 2 }, 'the client that reads keeps its stream');
    for (const socket of slow) socket.destroy();
    await reader.cancel();
    await adapter.stop();
  });

  it('forgets a client that left while its first snapshot was being taken (it used to stay a client for ever)', async () => {
    // The first status answers only once the client has left (the test releases it); later ones at once.
    let asked!: () => void;
    const wasAsked = new Promise<void>((resolve) => (asked = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const slowStatus = statusWith(1);
    let calls = 0;
    const status: StatusSource = {
      status: async () => {
        if (calls++ === 0) {
          asked();
          await released;
        }
        return slowStatus.status();
      },
      bookCounts: () => slowStatus.bookCounts(),
    };
    const { adapter, port } = await started({ status });
    const socket = net.connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    socket.write('GET /events HTTP/1.1\r\nHost: x\r\n\r\n');
    await wasAsked;
    socket.destroy();
    while (adapter.openConnections > 0) await new Promise((resolve) => setImmediate(resolve));
    release();
    // Another request for a snapshot: answered after the first one's, so that one has finished by then.
    try {
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/status`, { headers: { connection: 'close' } })).status, 200);
      assert.deepEqual(adapter.eventClients, { open: 0, dropped: 0 });
    } finally {
      await adapter.stop();
    }
  });

  it('forgets a client that went away', async () => {
    const { adapter, port } = await started();
    const reader = new EventStreamReader(await fetch(`http://127.0.0.1:${port}/events`));
    await reader.next();
    assert.equal(adapter.eventClients.open, 1);
    await reader.cancel();
    while (adapter.eventClients.open > 0) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(adapter.eventClients, { open: 0, dropped: 0 });
    await adapter.stop();
  });

  it('coalesces a burst of changes into few pushes', async () => {
    const { bus, adapter, port } = await started({ pushIntervalMs: 200 });
    const reader = new EventStreamReader(await fetch(`http://127.0.0.1:${port}/events`));
    await reader.next();
    for (let i = 0; i < 100; i++) await bus.emit('connection.opened', { connectionId: `c${i}`, remoteAddress: '127.0.0.1', remotePort: 1 });
    const pushed = await reader.next((event) => JSON.parse(event.data).connections === 100);
    assert.ok(pushed);
    const snapshots = reader.text.split('event: snapshot').length - 1;
    assert.ok(snapshots <= 3, `${snapshots} snapshots for a burst of 100 changes`);
    await reader.cancel();
    await adapter.stop();
  });

  it('sends a heartbeat comment on a quiet stream', async () => {
    const { adapter, port } = await started({ heartbeatMs: 20 });
    const response = await fetch(`http://127.0.0.1:${port}/events`);
    const reader = response.body!.getReader();
    let text = '';
    while (!text.includes(': heartbeat\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    await adapter.stop();
  });

  it('ends every stream when the adapter stops', async () => {
    const { adapter, port } = await started();
    const reader = new EventStreamReader(await fetch(`http://127.0.0.1:${port}/events`));
    await reader.next();
    await adapter.stop();
    await assert.rejects(reader.next(), /ended|terminated|other side closed/);
  });
});
