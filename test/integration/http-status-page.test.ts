import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { writeFile } from 'node:fs/promises';
import { systemClock } from '../../src/clock/clock.ts';
import type { Host } from '../../src/host/host.ts';
import { startHost } from '../../src/host/start-host.ts';
import type { HostOptions } from '../../src/host/host-options.ts';
import { sequentialIds } from '../../src/ids/ids.ts';
import { writeSource } from '../helpers/host-harness.ts';
import { JsonClient } from '../helpers/json-client.ts';
import { TestClient } from '../helpers/test-client.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { EventStreamReader } from '../helpers/event-stream-reader.ts';

const HOUR = 60 * 60_000;

/** A host on the system clock: the page's pushes and heartbeats run on real time, as in production. */
async function startRealHost(dataDir: string, options: Partial<HostOptions> = {}): Promise<{ host: Host }> {
  return { host: await startHost({ dataDir, socket: false, clock: systemClock, ids: sequentialIds(), ...options }) };
}
// What the book holds that must never reach the page: usernames, master passwords, entry names and passwords.
const ANN = { username: 'ann-the-user', masterPassword: 'master-secret-horse-9' };
const ENTRIES = [
  { name: 'bank-entry-name-zebra', password: 'entry-secret-pw-1' },
  { name: 'mail-entry-name-quokka', password: 'entry-secret-pw-2' },
];
const SECRETS = [ANN.username, ANN.masterPassword, ...ENTRIES.flatMap((entry) => [entry.name, entry.password])];

/** A GET (or other method) with node:http, for paths fetch would normalise. */
function rawRequest(port: number, method: string, path: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request({ host: '127.0.0.1', port, method, path }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('the HTTP adapter on a running host', () => {
  let host: Host;
  let base: string;
  let port: number;
  let source: string;
  let json: JsonClient;

  before(async () => {
    const root = await tempDir('http');
    source = await writeSource(root, 'notes.txt', 'first');
    ({ host } = await startRealHost(`${root}/data`, { jobs: [{ sourcePath: source, intervalMs: HOUR }], socket: { host: '127.0.0.1', port: 0 }, http: { port: 0 } }));
    const address = host.httpAddress;
    assert.ok(address, 'host.httpAddress is set when options.http is');
    assert.equal(address.host, '127.0.0.1');
    port = address.port;
    base = `http://127.0.0.1:${port}`;
    json = await JsonClient.connect(host.address!.port);
    await json.ok({ type: 'user.register', ...ANN });
    const token = (await json.ok({ type: 'session.login', ...ANN })).token;
    for (const entry of ENTRIES) await json.ok({ type: 'entry.add', token, ...entry });
  });

  after(async () => {
    json.close();
    await host.stop();
  });

  it('answers /healthz and /readyz with 200 ok once the host has started, with the security headers', async () => {
    for (const probe of ['/healthz', '/readyz']) {
      const response = await fetch(`${base}${probe}`);
      assert.equal(response.status, 200, probe);
      const body = (await response.json()) as { status: string; uptimeMs: number };
      assert.equal(body.status, 'ok');
      assert.equal(typeof body.uptimeMs, 'number');
      assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'self'/);
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
    }
  });

  it('answers /api/status with jobs, book counts, version, uptime, connections and history, and no name or secret from the book', async () => {
    const response = await fetch(`${base}/api/status`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const text = await response.text();
    const status = JSON.parse(text);
    assert.equal(typeof status.version, 'string');
    assert.equal(typeof status.uptimeMs, 'number');
    assert.deepEqual(status.book, { users: 1, entries: 2 });
    assert.equal(status.connections, 1, 'the JSON client is connected');
    assert.equal(status.jobs.length, 1);
    const [job] = status.jobs;
    for (const key of ['id', 'state', 'lastRun', 'nextRunAt', 'versions', 'totalBytes', 'damagedVersions']) assert.ok(key in job, `job has ${key}`);
    assert.equal(job.source, source);
    assert.ok(Array.isArray(status.recent));
    assert.ok(Array.isArray(status.history.runs));
    assert.equal(status.history.requests.bucketMs, 60_000);
    assert.equal(status.history.requests.counts.length, 24 * 60);
    assert.ok(status.history.requests.counts.reduce((a: number, b: number) => a + b, 0) >= 4, 'the book requests were counted');
    for (const secret of SECRETS) assert.ok(!text.includes(secret), `/api/status must not contain ${secret}`);
  });

  it('pushes a fresh snapshot over /events after a backup, and the stream holds no name or secret from the book', async () => {
    const response = await fetch(`${base}/events`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events = new EventStreamReader(response);
    const first = JSON.parse((await events.next((event) => event.event === 'snapshot')).data);
    const before = first.jobs[0].versions as number;
    await writeFile(source, 'second, longer');
    const text = await TestClient.connect(host.address!.port);
    text.send('backup\n');
    const updated = await events.next((event) => event.event === 'snapshot' && JSON.parse(event.data).jobs[0].versions === before + 1);
    const snapshot = JSON.parse(updated.data);
    assert.equal(snapshot.recent[0].outcome, 'copied');
    assert.equal(snapshot.recent[0].size, 'second, longer'.length);
    assert.equal(typeof snapshot.recent[0].durationMs, 'number');
    // The first snapshot had the whole day; a push carries only the runs after the last push, not the day again.
    assert.equal(first.history.complete, true);
    assert.equal(snapshot.history.complete, false);
    assert.ok(snapshot.history.runs.length >= 1);
    assert.ok(snapshot.history.runs.every((run: { seq: number }) => run.seq > snapshot.history.afterSeq));
    text.destroy();
    await events.cancel();
    for (const secret of SECRETS) assert.ok(!events.text.includes(secret), `/events must not contain ${secret}`);
  });

  it('serves the page, its script and uPlot from local files', async () => {
    const page = await fetch(`${base}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await page.text(), /<title>safekeep status<\/title>/);
    const script = await fetch(`${base}/page/page.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    const uplot = await fetch(`${base}/assets/uplot.esm.js`);
    assert.equal(uplot.status, 200);
    assert.match(await uplot.text(), /export \{ uPlot as default \}|export default/);
    const css = await fetch(`${base}/assets/uplot.min.css`);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
  });

  it('answers /metrics with the metrics content type', async () => {
    const response = await fetch(`${base}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain/);
  });

  it('answers 404 for anything else, without echoing the path', async () => {
    for (const path of ['/nope', '/page/../../package.json', '/page/..%2F..%2Fpackage.json', '/assets/uPlot.cjs.js', '/assets/../package.json', '/%3Cscript%3Ealert(1)%3C/script%3E', '/api/status/x']) {
      const response = await rawRequest(port, 'GET', path);
      assert.equal(response.status, 404, path);
      assert.ok(!response.body.includes('script') && !response.body.includes('package'), `the 404 for ${path} does not echo it: ${response.body}`);
    }
  });

  it('answers 405 with Allow for methods other than GET and HEAD, and HEAD without a body', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const response = await rawRequest(port, method, '/api/status');
      assert.equal(response.status, 405, method);
      assert.equal(response.headers.allow, 'GET, HEAD');
    }
    const head = await rawRequest(port, 'HEAD', '/healthz');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  });
});

describe('/healthz (alive) and /readyz (ready)', () => {
  it('both answer 503 with the reason stopping while the host stops', async () => {
    const root = await tempDir('http-stop');
    const { host } = await startRealHost(`${root}/data`, { http: { port: 0 } });
    const base = `http://127.0.0.1:${host.httpAddress!.port}`;
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const during: { status: number; body: { status: string; reason: string } }[] = [];
    // The bus waits for this listener before the host takes anything down, so the page is still there to ask.
    host.bus.on('host.stopping', async () => {
      for (const probe of ['/healthz', '/readyz']) {
        const response = await fetch(`${base}${probe}`);
        during.push({ status: response.status, body: (await response.json()) as { status: string; reason: string } });
      }
    });
    await host.stop();
    assert.equal(during.length, 2);
    for (const seen of during) {
      assert.equal(seen.status, 503);
      assert.equal(seen.body.status, 'unavailable');
      assert.equal(seen.body.reason, 'stopping');
    }
    await assert.rejects(fetch(`${base}/healthz`), 'nothing listens once the host has stopped');
  });

  it('is not ready but still alive when the store reports a damaged file: a restart loop would not mend it', async () => {
    const root = await tempDir('http-damaged');
    const { host } = await startRealHost(`${root}/data`, { http: { port: 0 } });
    const base = `http://127.0.0.1:${host.httpAddress!.port}`;
    await host.bus.emit('store.damaged', { collection: 'book.users', shard: '00.json', message: 'shard 00 of book.users is not JSON' });
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json().then((body) => (body as { reason: string }).reason), 'store damaged (collection book.users)');
    const alive = await fetch(`${base}/healthz`);
    assert.equal(alive.status, 200);
    assert.equal(((await alive.json()) as { status: string }).status, 'ok');
    await host.stop();
  });

  it('is not ready but still alive after a store checkpoint failed', async () => {
    const root = await tempDir('http-checkpoint');
    const { host } = await startRealHost(`${root}/data`, { http: { port: 0 } });
    const base = `http://127.0.0.1:${host.httpAddress!.port}`;
    await host.bus.emit('store.checkpoint.failed', { message: 'the checkpoint could not be written' });
    const ready = await fetch(`${base}/readyz`);
    assert.equal(ready.status, 503);
    assert.equal(((await ready.json()) as { reason: string }).reason, 'store checkpoint failed');
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    await host.stop();
  });
});

describe('the run history after a restart', () => {
  it('draws the sizes of the catalog versions of the last day, with no duration, before any new run', async () => {
    const root = await tempDir('http-seed');
    const source = await writeSource(root, 'notes.txt', 'twelve bytes');
    const jobs = [{ sourcePath: source, intervalMs: HOUR }];
    const first = await startRealHost(`${root}/data`, { jobs });
    await first.host.request('backup.run', { job: source });
    await first.host.stop();

    const { host } = await startRealHost(`${root}/data`, { jobs, http: { port: 0 } });
    const status = await (await fetch(`http://127.0.0.1:${host.httpAddress!.port}/api/status`)).json() as { history: { runs: { size: number | null; durationMs: number | null; outcome: string }[] } };
    const seeded = status.history.runs.filter((run) => run.durationMs === null);
    assert.ok(seeded.length >= 1, JSON.stringify(status.history.runs));
    assert.ok(seeded.every((run) => run.size === 'twelve bytes'.length && run.outcome === 'copied'));
    await host.stop();
  });
});

describe('a host without options.http', () => {
  it('serves no HTTP and says so with a null httpAddress', async () => {
    const root = await tempDir('http-off');
    const { host } = await startRealHost(`${root}/data`, {});
    assert.equal(host.httpAddress, null);
    await host.stop();
  });
});

describe('an --http port already in use', () => {
  it('fails the start with the port named, and leaves nothing running', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    const root = await tempDir('http-taken');
    await assert.rejects(startRealHost(`${root}/data`, { http: { port: taken } }), (error: Error) => error.message.includes('EADDRINUSE') && error.message.includes(String(taken)));
    // The data directory's lock was released: a second start succeeds.
    const { host } = await startRealHost(`${root}/data`, {});
    await host.stop();
    await new Promise((resolve) => blocker.close(resolve));
  });
});
