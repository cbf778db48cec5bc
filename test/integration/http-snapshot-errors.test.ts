import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Bus } from '../../src/bus/bus.ts';
import { systemClock } from '../../src/clock/clock.ts';
import type { ServiceStatus } from '../../src/backup/job-report.ts';
import type { StatusSource } from '../../src/ports/status-source.ts';
import { HttpAdapter } from '../../adapters/http/http-adapter.ts';

const STATUS: ServiceStatus = { version: 'test', startedAt: 0, uptimeMs: 1, jobs: [] };

async function serve(status: StatusSource) {
  const adapter = new HttpAdapter({ port: 0, clock: systemClock, status });
  await adapter.start(new Bus());
  return { adapter, base: `http://127.0.0.1:${adapter.address()!.port}` };
}

describe('/api/status when the service cannot answer part of it', () => {
  it('still answers when the book cannot be counted, with book null', async () => {
    const { adapter, base } = await serve({ status: async () => STATUS, bookCounts: async () => Promise.reject(new Error('shard 03 of book.users is damaged')) });
    const response = await fetch(`${base}/api/status`);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { book: unknown }).book, null);
    await adapter.stop();
  });

  it('answers 500 without the error\'s words when the status itself fails', async () => {
    const { adapter, base } = await serve({ status: async () => Promise.reject(new Error('/secret/path exploded')), bookCounts: async () => ({ users: 0, entries: 0 }) });
    const response = await fetch(`${base}/api/status`);
    assert.equal(response.status, 500);
    assert.deepEqual(await response.json(), { error: 'internal error' });
    await adapter.stop();
  });

  it('sends only the counts of the book, whatever else a status source returns', async () => {
    const leaky = { users: 1, entries: 2, names: ['bank'] };
    const { adapter, base } = await serve({ status: async () => STATUS, bookCounts: async () => leaky });
    const text = await (await fetch(`${base}/api/status`)).text();
    assert.ok(!text.includes('bank'));
    assert.deepEqual(JSON.parse(text).book, { users: 1, entries: 2 });
    await adapter.stop();
  });
});
