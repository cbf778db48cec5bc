import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { unlink } from 'node:fs/promises';
import path from 'node:path';
import { tempDir } from '../helpers/temp-dir.ts';
import { collect, startTestHost, writeSource } from '../helpers/host-harness.ts';
import {
  HostStoppedError,
  InternalError,
  InvalidFieldError,
  UnknownTypeError,
  LoginFailedError,
  NoBackupJobError,
  RequestTimeoutError,
  Secret,
  SessionInvalidError,
  SourceNotFoundError,
  UnknownJobError,
  errorFromShape,
} from '../../src/index.ts';

const HOUR = 60 * 60_000;
const correctHorse = () => new Secret('correct horse battery');

describe('host.request: typed requests from inside the process', () => {
  it('runs a backup and answers revert, naming the job by id or by source path', async () => {
    const root = await tempDir('requests');
    const source = await writeSource(root, 'notes.json', '{"v":1}');
    const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: HOUR }] });
    clock.advance(0);

    const run = await host.request('backup.run', { job: source });
    assert.equal(run.version.jobId, 'notes.json');
    const byId = await host.request('backup.revert', { job: 'notes.json' });
    const byDefault = await host.request('backup.revert', {});
    assert.equal(byId.version?.path, run.version.path);
    assert.equal(byDefault.version?.path, run.version.path);
    await host.stop();
  });

  it('goes over the bus as request.submitted and request.settled, so recordings hold it', async () => {
    const root = await tempDir('requests');
    const { host } = await startTestHost(path.join(root, 'data'));
    const submitted = collect(host, 'request.submitted');
    const settled = collect(host, 'request.settled');
    await host.request('users.count', {}, { clientAddress: 'app' });
    // The host's request ids are one drawn id and a count.
    assert.deepEqual(await submitted.next(), {
      requestId: 'req_1.1',
      command: { kind: 'book', request: { type: 'users.count' } },
      clientAddress: 'app',
    });
    assert.deepEqual(await settled.next(), { requestId: 'req_1.1', ok: true, result: { kind: 'book', type: 'users.count', result: { count: 0 } } });
    await host.stop();
  });

  it('rejects with the error class of the failure, its code intact', async () => {
    const root = await tempDir('requests');
    const { host } = await startTestHost(path.join(root, 'data'));
    await assert.rejects(host.request('backup.run', {}), NoBackupJobError);
    await assert.rejects(host.request('backup.revert', { job: 'nope' }), (error: unknown) => error instanceof UnknownJobError && error.code === 'UNKNOWN_JOB');

    await host.request('user.register', { username: 'ann', masterPassword: correctHorse() });
    await assert.rejects(host.request('session.login', { username: 'ann', masterPassword: new Secret('wrong one!') }), LoginFailedError);
    await assert.rejects(host.request('entry.list', { token: new Secret('made-up token') }), SessionInvalidError);
    const { token } = await host.request('session.login', { username: 'ann', masterPassword: correctHorse() });
    assert.ok(token instanceof Secret);
    await host.request('entry.add', { token, name: 'mail', password: new Secret('hunter2') });
    assert.equal((await host.request('entry.get', { token, name: 'mail' })).password.reveal(), 'hunter2');
    await host.stop();
  });

  it('reports a failed backup run with the run\'s reason', async () => {
    const root = await tempDir('requests');
    const source = await writeSource(root, 'gone.txt', 'x');
    const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: HOUR }] });
    clock.advance(0);
    await host.request('backup.run', {});
    await unlink(source);
    await assert.rejects(host.request('backup.run', {}), SourceNotFoundError);
    await host.stop();
  });

  it('times out on the host clock with RequestTimeoutError', async () => {
    const root = await tempDir('requests');
    const { host, clock } = await startTestHost(path.join(root, 'data'));
    const login = host.request('session.login', { username: 'ann', masterPassword: correctHorse() }, { timeoutMs: 2_000 });
    clock.advance(1_999);
    clock.advance(1);
    await assert.rejects(login, (error: unknown) => error instanceof RequestTimeoutError && /within 2000 ms/.test(error.message));
    await host.stop();
  });

  it('answers requests in flight when stopped, and refuses new ones', async () => {
    const root = await tempDir('requests');
    const { host } = await startTestHost(path.join(root, 'data'));
    const registering = host.request('user.register', { username: 'ann', masterPassword: correctHorse() });
    const stopping = host.stop();
    await assert.rejects(host.request('users.count', {}), HostStoppedError);
    assert.deepEqual(await registering, { username: 'ann' });
    await stopping;
  });
});

describe('host.request: jobs', () => {
  it('adds a job, pauses and resumes it, all through the bus', async () => {
    const root = await tempDir('requests');
    const source = await writeSource(root, 'todo.md', '- one\n');
    const { host, clock } = await startTestHost(path.join(root, 'data'), { allowedPaths: [root] });
    const submitted = collect(host, 'request.submitted');
    const { job } = await host.request('job.add', { sourcePath: source, intervalMs: HOUR, keep: 3 });
    assert.deepEqual((await submitted.next()).command, { kind: 'job.add', spec: { sourcePath: source, intervalMs: HOUR, keep: 3 } });
    assert.equal(job.id, 'todo.md');
    clock.advance(0);
    await host.runBackup(job.id);

    assert.deepEqual(await host.request('job.pause', { job: 'todo.md' }), { jobId: 'todo.md' });
    assert.equal(host.jobs()[0]?.state, 'paused');
    await host.resume();
    assert.notEqual(host.jobs()[0]?.state, 'paused');
    await assert.rejects(host.pause('nope'), UnknownJobError);
    await host.stop();
  });
});

describe('host.request: malformed requests (as plain JavaScript could send them)', () => {
  it('each get a clear error of their own, and the host goes on', async () => {
    const root = await tempDir('requests');
    const { host } = await startTestHost(path.join(root, 'data'));
    const send = (name: string, params: unknown) => (host.request as (name: string, params: unknown) => Promise<unknown>)(name, params);
    const cases: [string, unknown, new (message: string) => Error, RegExp][] = [
      ['no.such.request', {}, UnknownTypeError, /Unknown message type 'no.such.request'/],
      ['session.login', { username: 'ann' }, InvalidFieldError, /needs the field 'masterPassword'/],
      ['session.login', { username: 'ann', masterPassword: 42 }, InvalidFieldError, /must be a string/],
      ['session.login', { username: ' ann', masterPassword: 'correct horse' }, InvalidFieldError, /spaces/],
      ['users.count', { extra: true }, InvalidFieldError, /has no field 'extra'/],
      ['entry.add', { token: 't', name: 'x'.repeat(300), password: 'p' }, InvalidFieldError, /1 to 256 characters/],
      ['backup.run', { job: 7 }, InvalidFieldError, /'job' must be a job id/],
      ['job.add', { sourcePath: '', intervalMs: 1000 }, InvalidFieldError, /'sourcePath'/],
      ['job.add', { sourcePath: '/x', intervalMs: -5 }, InvalidFieldError, /'intervalMs'/],
      ['job.add', { sourcePath: '/x', intervalMs: 1.5 }, InvalidFieldError, /'intervalMs'/],
      ['job.add', { sourcePath: '/x', intervalMs: 1000, keep: 0 }, InvalidFieldError, /'keep'/],
      ['job.add', null, InvalidFieldError, /A job needs/],
    ];
    for (const [name, params, ErrorClass, message] of cases) {
      await assert.rejects(send(name, params), (error: unknown) => error instanceof ErrorClass && message.test((error as Error).message), `${name} ${JSON.stringify(params)}`);
    }
    // A password given as a plain string is taken, and travels sealed.
    const submitted = collect(host, 'request.submitted');
    const settled = collect(host, 'request.settled');
    await send('user.register', { username: 'ann', masterPassword: 'correct horse battery' });
    assert.equal(JSON.stringify(await submitted.next()).includes('correct horse'), false);
    assert.equal(JSON.stringify(await settled.next()).includes('correct horse'), false);
    assert.deepEqual(await host.request('users.count', {}), { count: 1 });
    await host.stop();
  });

  it('an adapter emitting a malformed request.submitted gets an INVALID_REQUEST answer', async () => {
    const root = await tempDir('requests');
    const { host } = await startTestHost(path.join(root, 'data'));
    const settled = collect(host, 'request.settled');
    await host.bus.emit('request.submitted', { requestId: 'r1', command: { kind: 'connection.exit' }, clientAddress: 'x' });
    await host.bus.emit('request.submitted', { requestId: 'r2', command: 'backup' as never, clientAddress: 'x' });
    assert.deepEqual(await settled.next(), { requestId: 'r1', ok: false, error: { code: 'INVALID_REQUEST', message: "There is no in-process request 'connection.exit'" } });
    assert.deepEqual(await settled.next(), { requestId: 'r2', ok: false, error: { code: 'INVALID_REQUEST', message: 'A request must be an object' } });
    await host.stop();
  });
});

describe('errorFromShape', () => {
  it('gives back the class for a known code and an InternalError keeping an unknown one', () => {
    assert.ok(errorFromShape({ code: 'LOGIN_FAILED', message: 'no' }) instanceof LoginFailedError);
    const unknown = errorFromShape({ code: 'FROM_THE_FUTURE', message: 'hm' });
    assert.ok(unknown instanceof InternalError);
    assert.equal(unknown.code, 'FROM_THE_FUTURE');
    assert.equal(unknown.message, 'hm');
  });
});
