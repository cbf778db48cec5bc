import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { NotifyAdapter } from '../../adapters/notify/notify-adapter.ts';
import { collect, startTestHost, writeSource } from '../helpers/host-harness.ts';
import { flipByte } from '../helpers/flip-byte.ts';
import { freePort } from '../helpers/free-port.ts';
import { startReceiver } from '../helpers/http-receiver.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const MINUTE = 60_000;

/** What a command saw: `env -0` written to a file, read back as a map. */
async function readEnv(file: string): Promise<Map<string, string>> {
  const text = await readFile(file, 'utf8');
  return new Map(text.split('\0').filter(Boolean).map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

describe('notifications', () => {
  it('runs the --on-failure command with the details in its environment and POSTs the webhook when a run fails', async () => {
    const root = await tempDir('notify');
    const receiver = await startReceiver();
    const envFile = path.join(root, 'env');
    const notify = new NotifyAdapter({ onFailure: `env -0 > '${envFile}'`, webhookUrl: receiver.url('/hook/s3cret-token'), hostName: 'box' });
    const source = path.join(root, 'gone.txt');
    const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: MINUTE }], adapters: [notify] });
    const failed = collect(host, 'backup.failed');
    clock.advance(0);
    const failure = await failed.next();

    const posted = await receiver.next();
    assert.equal(posted.method, 'POST');
    assert.equal(posted.path, '/hook/s3cret-token');
    assert.equal(posted.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(posted.body), {
      event: 'backup.failed',
      job: 'gone.txt',
      run: failure.runId,
      version: null,
      error: { code: failure.error.code, message: failure.error.message },
      attempt: 1,
      at: new Date(failure.at).toISOString(),
      host: 'box',
      service: 'safekeep',
    });

    await notify.idle();
    const env = await readEnv(envFile);
    assert.equal(env.get('SAFEKEEP_EVENT'), 'backup.failed');
    assert.equal(env.get('SAFEKEEP_JOB'), 'gone.txt');
    assert.equal(env.get('SAFEKEEP_RUN'), failure.runId);
    assert.equal(env.get('SAFEKEEP_VERSION'), '');
    assert.equal(env.get('SAFEKEEP_ERROR_CODE'), failure.error.code);
    assert.equal(env.get('SAFEKEEP_MESSAGE'), failure.error.message);
    assert.equal(env.get('SAFEKEEP_ATTEMPT'), '1');
    assert.equal(env.get('SAFEKEEP_AT'), new Date(failure.at).toISOString());
    assert.equal(env.get('SAFEKEEP_HOSTNAME'), 'box');
    assert.equal(env.get('SAFEKEEP_HOST'), undefined, 'SAFEKEEP_HOST is --host to a safekeep the command runs');
    assert.ok(env.has('PATH'), 'the rest of the environment is inherited');
    await host.stop();
    await receiver.close();
  });

  it('tells a failing job once, not once per retry, and again after it recovered and failed anew', async () => {
    const root = await tempDir('notify');
    const receiver = await startReceiver();
    const notify = new NotifyAdapter({ webhookUrl: receiver.url('/hook') });
    const source = path.join(root, 'flaky.txt');
    const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: MINUTE }], adapters: [notify] });
    const failed = collect(host, 'backup.failed');
    const completed = collect(host, 'backup.completed');
    clock.advance(0);
    await failed.next();
    clock.advance(1_000); // the harness's first retry
    assert.equal((await failed.next()).attempt, 2);
    await notify.idle();
    assert.equal(receiver.received.length, 1, 'the retry failing is not news');

    await writeFile(source, 'back');
    clock.advance(2_000);
    await completed.next();
    const { rm } = await import('node:fs/promises');
    await rm(source);
    clock.advance(MINUTE);
    assert.equal((await failed.next()).attempt, 1);
    await notify.idle();
    assert.equal(receiver.received.length, 2, 'a new streak is told');
    await host.stop();
    await receiver.close();
  });

  it('tells the command and the webhook about a version verification finds damaged', async () => {
    const root = await tempDir('notify');
    const receiver = await startReceiver();
    const envFile = path.join(root, 'env');
    const notify = new NotifyAdapter({ onFailure: `env -0 > '${envFile}'`, webhookUrl: receiver.url('/hook') });
    const source = await writeSource(root, 'notes.txt', 'precious words');
    const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: MINUTE }], adapters: [notify] });
    const completed = collect(host, 'backup.completed');
    clock.advance(0);
    const { version } = await completed.next();
    await flipByte(version.path, 0, { keepTimes: true });
    const report = await host.request('backup.verify', {});
    assert.equal(report.damaged, 1);

    const body = JSON.parse((await receiver.next()).body) as Record<string, unknown>;
    assert.equal(body.event, 'backup.version.damaged');
    assert.equal(body.job, 'notes.txt');
    assert.equal(body.version, version.id);
    assert.equal(body.run, null);
    assert.equal((body.error as { code: string }).code, 'content-mismatch');
    await notify.idle();
    const env = await readEnv(envFile);
    assert.equal(env.get('SAFEKEEP_EVENT'), 'backup.version.damaged');
    assert.equal(env.get('SAFEKEEP_VERSION'), version.id);
    assert.equal(env.get('SAFEKEEP_ERROR_CODE'), 'content-mismatch');
    assert.equal(env.get('SAFEKEEP_DETAIL'), version.path, 'the local command may see the path');
    assert.ok(!JSON.stringify(body).includes(version.path), 'the webhook is not told server paths');
    await host.stop();
    await receiver.close();
  });

  it('GETs the heartbeat after a good run, at most once a minute (host options wiring)', async () => {
    const root = await tempDir('notify');
    const receiver = await startReceiver();
    const source = await writeSource(root, 'notes.txt', 'v1');
    const { host, clock } = await startTestHost(path.join(root, 'data'), {
      jobs: [{ sourcePath: source, intervalMs: 20_000 }],
      notify: { heartbeatUrl: receiver.url('/ping/uuid-123') },
    });
    const completed = collect(host, 'backup.completed');
    clock.advance(0);
    await completed.next();
    const ping = await receiver.next();
    assert.equal(ping.method, 'GET');
    assert.equal(ping.path, '/ping/uuid-123');
    clock.advance(20_000);
    await completed.next();
    clock.advance(20_000);
    await completed.next();
    clock.advance(20_000); // a minute after the first ping
    await completed.next();
    await receiver.next();
    assert.equal(receiver.received.length, 2, 'the runs 20 s and 40 s in were not pinged');
    await host.stop();
    await receiver.close();
  });

  it('reports a webhook that is down as notify.failed, naming only its origin, and backups go on', async () => {
    const root = await tempDir('notify');
    const port = await freePort();
    const out = new PassThrough();
    let printed = '';
    out.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
    const source = path.join(root, 'later.txt');
    // The default backoff (1 s, then 5 s) made short: the retries, not their pace, are under test.
    const notify = new NotifyAdapter({ webhookUrl: `http://127.0.0.1:${port}/hooks/T0K3N?key=abc`, retryDelaysMs: [10, 50] });
    const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: MINUTE }], adapters: [notify], console: { out } });
    const notifyFailed = collect(host, 'notify.failed');
    const failed = collect(host, 'backup.failed');
    const completed = collect(host, 'backup.completed');
    clock.advance(0);
    await failed.next();
    await writeFile(source, 'here now');
    clock.advance(1_000);
    await completed.next();

    const report = await notifyFailed.next(); // after three attempts
    assert.equal(report.channel, 'webhook');
    assert.equal(report.target, `http://127.0.0.1:${port}`);
    assert.equal(report.event, 'backup.failed');
    assert.equal(report.jobId, 'later.txt');
    assert.match(report.reason, /ECONNREFUSED.*after 3 attempts/);
    await host.stop();
    assert.match(printed, /notify: webhook to http:\/\/127\.0\.0\.1:\d+ failed for backup\.failed of \[later\.txt\]: connection refused/);
    assert.ok(!printed.includes('T0K3N') && !printed.includes('key=abc'), 'the token in the URL is never printed');
  });

  it('reports a failing command with the URLs it printed cut to their origins, on the bus and on the console', async () => {
    const root = await tempDir('notify');
    const out = new PassThrough();
    let printed = '';
    out.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
    const notify = new NotifyAdapter({ onFailure: 'set -x; false https://hooks.example.com/services/T0K3N?key=abc' });
    const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: path.join(root, 'gone.txt'), intervalMs: MINUTE }], adapters: [notify], console: { out } });
    const notifyFailed = collect(host, 'notify.failed');
    clock.advance(0);

    const report = await notifyFailed.next();
    assert.equal(report.channel, 'command');
    assert.equal(report.reason, 'the command exited with 1; its last output: + false https://hooks.example.com');
    await host.stop();
    assert.match(printed, /\+ false https:\/\/hooks\.example\.com/);
    assert.ok(!printed.includes('T0K3N') && !printed.includes('key=abc'), 'the token the command printed is never printed');
  });

  it('lets a stuck webhook time out without holding up the next backup', async () => {
    const root = await tempDir('notify');
    const receiver = await startReceiver({ hang: true });
    const notify = new NotifyAdapter({ webhookUrl: receiver.url('/hook'), httpTimeoutMs: 2_000, retryDelaysMs: [] });
    const source = path.join(root, 'later.txt');
    const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: MINUTE }], adapters: [notify] });
    const notifyFailed = collect(host, 'notify.failed');
    const failed = collect(host, 'backup.failed');
    const completed = collect(host, 'backup.completed');
    clock.advance(0);
    await failed.next();
    await receiver.next(); // the webhook has the request and sits on it
    await writeFile(source, 'here now');
    clock.advance(1_000);
    await completed.next();
    assert.equal(notifyFailed.seen.length, 0, 'the backup finished while the webhook still hung');
    assert.match((await notifyFailed.next()).reason, /no answer within 2 s/);
    await host.stop();
    await receiver.close();
  });

  it('sends a URL’s user and password as basic authorization, since fetch refuses them in the URL', async () => {
    const root = await tempDir('notify');
    const receiver = await startReceiver();
    const notify = new NotifyAdapter({ webhookUrl: `http://ops:p%40ss@127.0.0.1:${receiver.port}/hook` });
    const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: path.join(root, 'gone.txt'), intervalMs: MINUTE }], adapters: [notify] });
    clock.advance(0);
    const posted = await receiver.next();
    assert.equal(posted.headers.authorization, `Basic ${Buffer.from('ops:p@ss').toString('base64')}`);
    assert.equal(posted.path, '/hook');
    await host.stop();
    await receiver.close();
  });

  it('refuses a URL that is not http(s) when it is set up, not at the first failure', () => {
    assert.throws(() => new NotifyAdapter({ webhookUrl: 'mailto:ops@example.com?token=abc' }), (error: Error) => {
      assert.equal(error.name, 'TypeError');
      assert.match(error.message, /notify\.webhookUrl must be an http:\/\/ or https:\/\/ URL/);
      assert.ok(!error.message.includes('token=abc'));
      return true;
    });
    assert.throws(() => new NotifyAdapter({ heartbeatUrl: 'not a url' }), /notify\.heartbeatUrl is not a URL/);
    assert.throws(() => new NotifyAdapter({ onFailure: '  ' }), /empty command/);
  });

  it('hands a source path full of shell syntax to the command as data, never as code', async () => {
    const root = await tempDir('notify');
    const marker = path.join(root, 'PWNED');
    const sourceName = `x;touch PWNED;$(touch PWNED)\`touch PWNED\`.txt`;
    const out = path.join(root, 'said');
    const notify = new NotifyAdapter({ onFailure: `cd '${root}' && printf '%s|%s' "$SAFEKEEP_MESSAGE" "$SAFEKEEP_DETAIL" > '${out}'` });
    const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: path.join(root, sourceName), intervalMs: MINUTE }], adapters: [notify] });
    const failed = collect(host, 'backup.failed');
    clock.advance(0);
    await failed.next();
    await notify.idle();
    assert.ok((await readFile(out, 'utf8')).includes('$(touch PWNED)'), 'the path reached the command verbatim');
    await assert.rejects(access(marker), 'nothing in the path was executed');
    await host.stop();
  });
});

describe('notifications and record/replay', () => {
  it('a run whose webhook failed replays identically: notify.failed is fed in as an edge’s report, and nothing is sent again', async () => {
    const root = await tempDir('notify-replay');
    const port = await freePort();
    const file = path.join(root, 'run.ndjson');
    const notify = new NotifyAdapter({ webhookUrl: `http://127.0.0.1:${port}/hook`, retryDelaysMs: [] });
    const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: path.join(root, 'gone.txt'), intervalMs: MINUTE }], adapters: [notify], record: file });
    const notifyFailed = collect(host, 'notify.failed');
    clock.advance(0);
    await notifyFailed.next();
    await host.stop();
    const text = await readFile(file, 'utf8');
    assert.match(text, /"notify\.failed"/);
    const { replayRecording } = await import('../../src/replay/replay.ts');
    const result = await replayRecording(text);
    assert.equal(result.divergence, null, JSON.stringify(result.divergence, null, 2));
    assert.equal(result.matched, result.steps);
  });
});
