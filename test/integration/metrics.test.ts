import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { BusMetrics } from '../../adapters/http/bus-metrics.ts';
import { Bus } from '../../src/bus/bus.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import type { Host } from '../../src/host/host.ts';
import { collect, START, startTestHost, writeSource } from '../helpers/host-harness.ts';
import { JsonClient } from '../helpers/json-client.ts';
import { metricsAdapter, TestStatusSource } from '../helpers/metrics-host.ts';
import { textRequest } from '../helpers/ops-host.ts';
import { readMetrics, valueOf, type Sample } from '../helpers/prometheus-text.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { TestClient } from '../helpers/test-client.ts';

const MINUTE = 60_000;
/** What clients send that must never come back as a label or anywhere in /metrics. */
const SECRETS = ['zq-text-secret-91', 'zq-json-type-secret-92', 'zq-master-secret-93', 'zq-entry-secret-94', 'zq-entry-name-95', 'zq-user-96'];

/** A host on a virtual clock with a socket, two file jobs and the metrics started as the HTTP adapter starts them. */
async function startMetricsHost(dataDir?: string, clock = new VirtualClock(START), names = ['notes.txt', 'diary.txt']) {
  const root = await tempDir('metrics');
  const notes = await writeSource(root, 'notes.txt', 'first notes\n');
  const diary = await writeSource(root, 'diary.txt', 'dear diary\n');
  const status = new TestStatusSource();
  const adapter = metricsAdapter(clock, status);
  const { host } = await startTestHost(
    dataDir ?? path.join(root, 'data'),
    {
      jobs: [notes, diary].filter((source) => names.includes(path.basename(source))).map((sourcePath) => ({ sourcePath, intervalMs: MINUTE })),
      socket: { host: '127.0.0.1', port: 0 },
      adapters: [adapter],
    },
    clock,
  );
  status.attach(host);
  return { root, notes, diary, host, clock, status, metrics: adapter.metrics() };
}

async function scrape(metrics: BusMetrics) {
  const text = await metrics.render();
  return { text, ...readMetrics(text) };
}

/** The first scheduled run of each job (due at once), awaited. */
async function firstRuns(host: Host, clock: VirtualClock, count: number): Promise<void> {
  const completed = collect(host, 'backup.completed');
  clock.advance(0);
  for (let run = 0; run < count; run++) await completed.next();
  completed.stop();
}

describe('Prometheus metrics of a running host', () => {
  let ops: Awaited<ReturnType<typeof startMetricsHost>>;
  let text: TestClient;
  let json: JsonClient;
  let samples: Sample[];
  let families: ReturnType<typeof readMetrics>['families'];
  let output: string;
  let copiedSize: number;
  let unchangedAt: number;

  before(async () => {
    ops = await startMetricsHost();
    const { host, clock } = ops;
    await firstRuns(host, clock, 2); // both jobs: copied
    copiedSize = host.jobs().reduce((sum, job) => sum + (job.newest?.size ?? 0), 0);
    text = await TestClient.connect(host.address!.port);
    json = await JsonClient.connect(host.address!.port);

    clock.advance(1_000);
    unchangedAt = clock.now();
    assert.deepEqual(await textRequest(text, 'backup notes.txt'), ['Backup completed']); // unchanged: the source is as it was
    await unlink(ops.diary);
    assert.equal(await json.fails({ type: 'backup.run', job: 'diary.txt' }), 'SOURCE_NOT_FOUND');

    // Malformed requests, each carrying words that must never reach a label.
    await textRequest(text, SECRETS[0]!);
    assert.equal(await json.fails({ type: SECRETS[1]! }), 'UNKNOWN_TYPE');
    json.raw.send('{not json}\n');
    await json.raw.lines(1);

    // A book user with an entry, through the JSON dialect.
    await json.ok({ type: 'user.register', username: SECRETS[5], masterPassword: SECRETS[2] });
    const { token } = await json.ok({ type: 'session.login', username: SECRETS[5], masterPassword: SECRETS[2] });
    await json.ok({ type: 'entry.add', token, name: SECRETS[4], password: SECRETS[3] });
    assert.equal(await json.fails({ type: 'session.login', username: SECRETS[5], masterPassword: 'wrong horse battery' }), 'LOGIN_FAILED');

    // In-process, one that fails.
    await assert.rejects(host.request('backup.versions', { job: 'no-such-job' }), { code: 'UNKNOWN_JOB' });
    assert.equal((await host.request('users.count', {})).count, 1);

    ({ text: output, samples, families } = await scrape(ops.metrics));
  });

  after(async () => {
    text?.destroy();
    json?.close();
    await ops?.host.stop();
  });

  it('counts backup runs by job and outcome: copied, unchanged, failed', () => {
    assert.equal(valueOf(samples, 'safekeep_backup_runs_total', { job: 'notes.txt', outcome: 'copied' }), 1);
    assert.equal(valueOf(samples, 'safekeep_backup_runs_total', { job: 'notes.txt', outcome: 'unchanged' }), 1);
    assert.equal(valueOf(samples, 'safekeep_backup_runs_total', { job: 'diary.txt', outcome: 'copied' }), 1);
    assert.equal(valueOf(samples, 'safekeep_backup_runs_total', { job: 'diary.txt', outcome: 'failed' }), 1);
    assert.equal(valueOf(samples, 'safekeep_backup_runs_total', { job: 'diary.txt', outcome: 'unchanged' }), undefined);
  });

  it('counts the bytes of new versions, and times every run that started a copy', () => {
    const bytes = ['notes.txt', 'diary.txt'].map((job) => valueOf(samples, 'safekeep_backup_bytes_copied_total', { job }) ?? 0);
    assert.equal(bytes[0]! + bytes[1]!, copiedSize);
    assert.equal(bytes[0], 'first notes\n'.length);
    assert.equal(valueOf(samples, 'safekeep_backup_run_duration_seconds_count', { job: 'notes.txt' }), 2);
    assert.equal(valueOf(samples, 'safekeep_backup_run_duration_seconds_bucket', { job: 'notes.txt', le: '+Inf' }), 2);
    assert.ok((valueOf(samples, 'safekeep_backup_run_duration_seconds_count', { job: 'diary.txt' }) ?? 0) >= 1);
  });

  it("says when each job last succeeded, in seconds; a failed run does not move it", () => {
    assert.equal(valueOf(samples, 'safekeep_backup_last_success_timestamp_seconds', { job: 'notes.txt' }), unchangedAt / 1000);
    assert.equal(valueOf(samples, 'safekeep_backup_last_success_timestamp_seconds', { job: 'diary.txt' }), START / 1000);
  });

  it("reads the catalog's versions, damaged versions and bytes at the scrape", () => {
    assert.equal(valueOf(samples, 'safekeep_backup_versions', { job: 'notes.txt' }), 1);
    assert.equal(valueOf(samples, 'safekeep_backup_damaged_versions', { job: 'notes.txt' }), 0);
    assert.equal(valueOf(samples, 'safekeep_backup_versions_bytes', { job: 'notes.txt' }), 'first notes\n'.length);
  });

  it('counts requests by dialect, bounded type and outcome, and times them', () => {
    const count = (labels: Record<string, string>) => valueOf(samples, 'safekeep_requests_total', labels);
    assert.equal(count({ dialect: 'text', type: 'backup.run', outcome: 'ok' }), 1);
    assert.equal(count({ dialect: 'json', type: 'backup.run', outcome: 'SOURCE_NOT_FOUND' }), 1);
    assert.equal(count({ dialect: 'text', type: 'invalid', outcome: 'INVALID_REQUEST' }), 1);
    assert.equal(count({ dialect: 'json', type: 'invalid', outcome: 'UNKNOWN_TYPE' }), 1);
    assert.equal(count({ dialect: 'json', type: 'invalid', outcome: 'INVALID_JSON' }), 1);
    assert.equal(count({ dialect: 'json', type: 'user.register', outcome: 'ok' }), 1);
    assert.equal(count({ dialect: 'json', type: 'session.login', outcome: 'ok' }), 1);
    assert.equal(count({ dialect: 'json', type: 'session.login', outcome: 'LOGIN_FAILED' }), 1);
    assert.equal(count({ dialect: 'json', type: 'entry.add', outcome: 'ok' }), 1);
    assert.equal(count({ dialect: 'in-process', type: 'backup.versions', outcome: 'UNKNOWN_JOB' }), 1);
    assert.equal(count({ dialect: 'in-process', type: 'users.count', outcome: 'ok' }), 1);
    // The test's StatusSource asks host.status(): the start's seed and this scrape.
    assert.equal(count({ dialect: 'in-process', type: 'backup.status', outcome: 'ok' }), 2);
    assert.equal(valueOf(samples, 'safekeep_request_duration_seconds_count', { dialect: 'json', type: 'session.login' }), 2);
    assert.equal(valueOf(samples, 'safekeep_request_duration_seconds_count', { dialect: 'text', type: 'backup.run' }), 1);
  });

  it('counts connections, and the open ones go down when a client leaves', async () => {
    assert.equal(valueOf(samples, 'safekeep_connections_total'), 2);
    assert.equal(valueOf(samples, 'safekeep_connections_open'), 2);
    const closed = ops.host.bus.once('connection.closed');
    text.destroy();
    await closed;
    const later = (await scrape(ops.metrics)).samples;
    assert.equal(valueOf(later, 'safekeep_connections_open'), 1);
    assert.equal(valueOf(later, 'safekeep_connections_total'), 2);
  });

  it("times the store's writes until durable", () => {
    assert.ok((valueOf(samples, 'safekeep_store_write_duration_seconds_count', { op: 'put', outcome: 'ok' }) ?? 0) >= 1);
  });

  it("counts the book's users and entries, the version, and the process's own metrics", () => {
    assert.equal(valueOf(samples, 'safekeep_book_users'), 1);
    assert.equal(valueOf(samples, 'safekeep_book_entries'), 1);
    const info = samples.filter((sample) => sample.name === 'safekeep_info');
    assert.equal(info.length, 1);
    assert.match(info[0]!.labels['version'] ?? '', /^\d+\.\d+\.\d+/);
    assert.equal(info[0]!.value, 1);
    assert.ok(families.some((family) => family.name === 'process_cpu_user_seconds_total'));
    assert.ok(families.some((family) => family.name === 'nodejs_eventloop_lag_seconds'));
  });

  it('gives every metric a HELP and a TYPE, and names them as Prometheus does', () => {
    assert.ok(families.length > 20);
    for (const family of families) {
      assert.ok(family.help.length > 0, `${family.name} has no HELP`);
      assert.notEqual(family.type, 'UNTYPED', `${family.name} has no TYPE`);
      assert.match(family.name, /^[a-z][a-z0-9_]*$/, family.name);
      if (family.type === 'COUNTER') assert.match(family.name, /_total$/, `counter ${family.name}`);
      // prom-client's own gauges nodejs_active_*_total break this rule; safekeep's keep it.
      else if (family.name.startsWith('safekeep_')) assert.doesNotMatch(family.name, /_total$/, `${family.type} ${family.name}`);
      assert.doesNotMatch(family.name, /_(ms|milliseconds|minutes|hours|kb|kib|mb|mib)(_|$)/, `${family.name} is not in base units`);
      if (family.type === 'HISTOGRAM') assert.match(family.name, /_(seconds|bytes)$/, `histogram ${family.name} names its unit`);
      if (family.name.includes('timestamp')) assert.match(family.name, /_timestamp_seconds$/, family.name);
    }
    const ours = families.filter((family) => family.name.startsWith('safekeep_'));
    assert.ok(ours.length >= 17, ours.map((family) => family.name).join(' '));
  });

  it('never shows anything a client sent: no label value nor any text of the scrape holds it', () => {
    for (const secret of SECRETS) assert.ok(!output.includes(secret), `the scrape shows ${secret}`);
    const words = /^([a-z]+(\.[a-z_]+)*|[A-Z][A-Z0-9_]*|ok|in-process|\+Inf|[0-9.e+-]+|\d+\.\d+\.\d+.*|notes\.txt|diary\.txt)$/;
    const allowedFree = new Set(['version', 'le']);
    for (const sample of samples.filter((one) => one.name.startsWith('safekeep_'))) {
      for (const [label, value] of Object.entries(sample.labels)) {
        if (allowedFree.has(label)) continue;
        assert.match(value, words, `${sample.name}{${label}="${value}"}`);
      }
    }
  });
});

describe('Metrics over a job removal and a restart', () => {
  it("drops a removed job's series, and the rest stay", async () => {
    const ops = await startMetricsHost();
    try {
      await firstRuns(ops.host, ops.clock, 2);
      const before = (await scrape(ops.metrics)).samples;
      assert.equal(valueOf(before, 'safekeep_backup_runs_total', { job: 'diary.txt', outcome: 'copied' }), 1);
      await ops.host.request('job.remove', { job: 'diary.txt' });
      const { samples, text } = await scrape(ops.metrics);
      assert.ok(!text.includes('job="diary.txt"'), text.split('\n').filter((line) => line.includes('diary')).join('\n'));
      assert.equal(valueOf(samples, 'safekeep_backup_runs_total', { job: 'notes.txt', outcome: 'copied' }), 1);
      assert.equal(valueOf(samples, 'safekeep_backup_versions', { job: 'notes.txt' }), 1);
    } finally {
      await ops.host.stop();
    }
  });

  it("seeds each job's last success from its newest version after a restart, before any run; not a removed job's", async () => {
    const first = await startMetricsHost();
    await firstRuns(first.host, first.clock, 2);
    const newest = first.host.newestVersion('notes.txt')!.createdAt;
    await first.host.request('job.remove', { job: 'diary.txt' }); // its version is kept
    await first.host.stop();

    const dataDir = path.join(first.root, 'data');
    const clock = new VirtualClock(START + 3_600_000);
    const second = await startMetricsHost(dataDir, clock, ['notes.txt']);
    try {
      const diary = second.host.jobs().find((job) => job.id === 'diary.txt');
      assert.equal(diary?.state, 'removed');
      assert.ok(diary.newest, 'the removed job kept its version');
      const { samples, text } = await scrape(second.metrics);
      assert.equal(valueOf(samples, 'safekeep_backup_last_success_timestamp_seconds', { job: 'notes.txt' }), newest / 1000);
      assert.ok(!text.includes('job="diary.txt"'), 'a removed job has no series');
      assert.equal(valueOf(samples, 'safekeep_backup_runs_total', { job: 'notes.txt', outcome: 'copied' }), undefined);
      assert.equal(valueOf(samples, 'safekeep_backup_versions', { job: 'notes.txt' }), 1);
    } finally {
      await second.host.stop();
    }
  });
});

describe('Metrics when a source cannot answer', () => {
  it('still renders, keeps the last values and counts the failure by source', async () => {
    const bus = new Bus();
    const clock = new VirtualClock(START);
    let failing = false;
    const status = {
      async status() {
        if (failing) throw new Error('status is unavailable (test)');
        return { version: '9.9.9', startedAt: START, uptimeMs: 0, jobs: [] };
      },
      async bookCounts() {
        if (failing) throw new Error('the book is unavailable (test)');
        return { users: 3, entries: 7 };
      },
    };
    const metrics = new BusMetrics({ bus, clock, status });
    metrics.start();
    try {
      assert.equal(valueOf((await scrape(metrics)).samples, 'safekeep_book_users'), 3);
      failing = true;
      const { samples, text } = await scrape(metrics);
      assert.equal(valueOf(samples, 'safekeep_book_users'), 3);
      assert.equal(valueOf(samples, 'safekeep_book_entries'), 7);
      assert.equal(valueOf(samples, 'safekeep_info', { version: '9.9.9' }), 1);
      assert.equal(valueOf(samples, 'safekeep_metrics_source_errors_total', { source: 'status' }), 1);
      assert.equal(valueOf(samples, 'safekeep_metrics_source_errors_total', { source: 'book' }), 1);
      assert.ok(!text.includes('unavailable'));
    } finally {
      metrics.stop();
    }
  });

  it('counts requests that other code put on the bus with a stray error code as OTHER', async () => {
    const bus = new Bus();
    const clock = new VirtualClock(START);
    const status = { status: async () => ({ version: '1.0.0', startedAt: START, uptimeMs: 0, jobs: [] }), bookCounts: async () => ({ users: 0, entries: 0 }) };
    const metrics = new BusMetrics({ bus, clock, status });
    metrics.start();
    try {
      await bus.emit('request.submitted', { requestId: 'r1', command: { kind: 'no such kind' } as never, clientAddress: 'x' });
      clock.advance(250);
      await bus.emit('request.settled', { requestId: 'r1', ok: false, error: { code: 'some words a client sent', message: 'm' } });
      const { samples } = await scrape(metrics);
      assert.equal(valueOf(samples, 'safekeep_requests_total', { dialect: 'in-process', type: 'invalid', outcome: 'OTHER' }), 1);
      assert.equal(valueOf(samples, 'safekeep_request_duration_seconds_sum', { dialect: 'in-process', type: 'invalid' }), 0.25);
      // Buckets are cumulative: 0.25 s is within le="0.25" and every bound above it, not within le="0.1".
      const bucket = (le: string) => valueOf(samples, 'safekeep_request_duration_seconds_bucket', { dialect: 'in-process', type: 'invalid', le });
      assert.deepEqual(['0.1', '0.25', '0.5', '300', '+Inf'].map(bucket), [0, 1, 1, 1, 1]);
    } finally {
      metrics.stop();
    }
  });
});
