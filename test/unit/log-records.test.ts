import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BusEvent } from '../../src/bus/events.ts';
import { logRecord, MOST_SEVERE_LEVEL } from '../../adapters/log/log-records.ts';
import { RequestLines } from '../../adapters/log/request-lines.ts';
import { PassThrough } from 'node:stream';
import { ConsoleReporter } from '../../adapters/console/console-reporter.ts';
import { Bus } from '../../src/bus/bus.ts';
import type { Command } from '../../src/protocol/commands.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import { Secret } from '../../src/secret/secret.ts';

const NOW = Date.parse('2026-11-24T09:00:00Z');
const version = { id: 'notes.txt@3', jobId: 'notes.txt', seq: 3, path: '/b/notes.txt/notes.3.txt', size: 12, sha256: 'a'.repeat(64), createdAt: NOW, source: { size: 12, mtimeNs: '1', ctimeNs: '1', ino: '2', dev: '3' } };

/** One event of each kind that carries ids, with the ids its record must carry. */
const EVENTS: { event: BusEvent; level: string; ids: Record<string, string> }[] = [
  { event: { name: 'backup.completed', payload: { jobId: 'notes.txt', runId: 'r1', at: NOW, kind: 'copied', version, requestIds: [] } }, level: 'info', ids: { jobId: 'notes.txt', runId: 'r1', versionId: 'notes.txt@3' } },
  { event: { name: 'backup.failed', payload: { jobId: 'notes.txt', runId: 'r2', at: NOW, error: { code: 'SOURCE_MISSING', message: 'gone', detail: '/x' }, attempt: 2, requestIds: [] } }, level: 'error', ids: { jobId: 'notes.txt', runId: 'r2' } },
  { event: { name: 'backup.scheduled', payload: { jobId: 'notes.txt', dueAt: NOW + 60_000, attempt: 0 } }, level: 'debug', ids: { jobId: 'notes.txt' } },
  { event: { name: 'backup.copy.started', payload: { jobId: 'notes.txt', runId: 'r3', at: NOW } }, level: 'debug', ids: { jobId: 'notes.txt', runId: 'r3' } },
  { event: { name: 'backup.version.damaged', payload: { jobId: 'notes.txt', versionId: 'notes.txt@2', path: '/b/2', reason: 'content-mismatch', expectedSha256: 'a'.repeat(64), actualSha256: 'b'.repeat(64), at: NOW } }, level: 'error', ids: { jobId: 'notes.txt', versionId: 'notes.txt@2' } },
  { event: { name: 'backup.version.mismatch', payload: { jobId: 'notes.txt', versionId: 'notes.txt@1', path: '/b/1', expected: { size: 4 }, actual: null, at: NOW } }, level: 'warn', ids: { jobId: 'notes.txt', versionId: 'notes.txt@1' } },
  { event: { name: 'backup.restored', payload: { jobId: 'notes.txt', version, target: '/home/n.txt', previous: null, at: NOW } }, level: 'info', ids: { jobId: 'notes.txt', versionId: 'notes.txt@3' } },
  { event: { name: 'backup.paused', payload: { jobId: 'notes.txt' } }, level: 'info', ids: { jobId: 'notes.txt' } },
  { event: { name: 'connection.opened', payload: { connectionId: 'c1', remoteAddress: '127.0.0.1', remotePort: 5000 } }, level: 'debug', ids: { connectionId: 'c1' } },
  { event: { name: 'connection.closed', payload: { connectionId: 'c1', reason: 'client' } }, level: 'debug', ids: { connectionId: 'c1' } },
  { event: { name: 'request.failed', payload: { requestId: 'q1', connectionId: 'c1', error: { code: 'INTERNAL', message: 'Something went wrong', detail: 'boom' } } }, level: 'error', ids: { requestId: 'q1', connectionId: 'c1' } },
  { event: { name: 'reply.forward.failed', payload: { requestId: 'q2', target: '127.0.0.1:12346', attempts: 3, reason: 'ECONNREFUSED' } }, level: 'warn', ids: { requestId: 'q2' } },
  { event: { name: 'store.result', payload: { commandId: 's1', ok: false, error: { code: 'STORE_WRITE_FAILED', message: 'no' } } }, level: 'error', ids: { commandId: 's1' } },
  { event: { name: 'store.result', payload: { commandId: 's2', ok: true, value: { password: 'hunter2' } } }, level: 'trace', ids: { commandId: 's2' } },
];

describe('log records', () => {
  for (const { event, level, ids } of EVENTS) {
    it(`gives ${event.name} the level ${level}, the event name and every id it has`, () => {
      const record = logRecord(event, NOW);
      assert.ok(record);
      assert.equal(record.level, level);
      assert.equal(record.fields.event, event.name);
      for (const [key, value] of Object.entries(ids)) assert.equal(record.fields[key], value, key);
    });
  }

  it('never makes a record more severe than the most severe level its event is listed with (the adapter skips by it)', () => {
    const order = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
    const more: BusEvent[] = [
      { name: 'backup.verified', payload: { trigger: 'schedule', checked: 3, damaged: 1, damagedVersionIds: ['a@1'], at: NOW } as never },
      { name: 'backup.pruned', payload: { jobId: 'a', versionIds: ['a@1'], error: { code: 'X', message: 'x' }, at: NOW } as never },
      { name: 'notify.failed', payload: { channel: 'webhook', target: 'https://hooks.example', event: 'backup.failed', jobId: 'a', reason: 'HTTP 500' } },
    ];
    for (const event of [...EVENTS.map((entry) => entry.event), ...more]) {
      const record = logRecord(event, NOW);
      const most = MOST_SEVERE_LEVEL[event.name];
      assert.ok(record && most, event.name);
      assert.ok(order.indexOf(record.level) <= order.indexOf(most), `${event.name}: ${record.level} above ${most}`);
    }
    for (const name of ['requests.received', 'reply.ready', 'reply.sent', 'request.submitted', 'request.settled'] as const) assert.equal(MOST_SEVERE_LEVEL[name], null);
  });

  it('uses the console sentences, with the job id in brackets', () => {
    assert.equal(logRecord(EVENTS[0]!.event, NOW)?.msg, '[notes.txt] done: /b/notes.txt/notes.3.txt (12 bytes, sha256 aaaaaaaaaaaa…)');
    assert.equal(logRecord(EVENTS[1]!.event, NOW)?.msg, '[notes.txt] failed (SOURCE_MISSING): gone [/x] [failure 2 in a row]');
    assert.equal(logRecord(EVENTS[2]!.event, NOW)?.msg, '[notes.txt] next run in 1m');
  });

  it('tells the catalog’s start-up notes and a failed notice in the console’s very words (one builder for both)', async () => {
    const loaded: BusEvent = {
      name: 'backup.jobs.loaded',
      payload: { jobs: [], activeJobIds: ['a'], missingVersionIds: ['a@1'], leftoversRemoved: 1, damagedJobIds: [], damagedVersionIds: [], orphansAdopted: ['a@2', 'a@3'], orphansRemoved: [], restoresSettled: ['/r'] },
    };
    const failed: BusEvent = { name: 'notify.failed', payload: { channel: 'webhook', target: 'https://hooks.example', event: 'backup.failed', jobId: 'a', reason: 'HTTP 500' } };
    const dropped: BusEvent = { name: 'notify.failed', payload: { channel: 'command', target: 'shell command', event: 'notify.dropped', jobId: null, reason: '3 notices dropped' } };
    const out = new PassThrough({ encoding: 'utf8' });
    let printed = '';
    out.on('data', (chunk: string) => (printed += chunk));
    const bus = new Bus();
    const reporter = new ConsoleReporter({ out, clock: new VirtualClock(NOW), verbose: false });
    await reporter.start(bus);
    for (const event of [loaded, failed, dropped]) await bus.emit(event.name, event.payload as never);
    await reporter.stop();
    const consoleLines = printed.trim().split('\n').map((line) => line.replace(/^\S+ /, ''));
    const logLines = [loaded, failed, dropped].map((event) => logRecord(event, NOW)?.msg);
    assert.deepEqual(logLines, consoleLines);
    assert.deepEqual(logLines, [
      'catalog: settled a restore a crash cut short: /r; removed 1 partial copy left by an interrupted run; versions missing on disk, not offered for revert: a@1; adopted 2 uncatalogued copies of an interrupted run: a@2, a@3',
      'notify: webhook to https://hooks.example failed for backup.failed of [a]: HTTP 500',
      'notify: command to shell command failed: 3 notices dropped',
    ]);
    assert.equal(logRecord(loaded, NOW)?.level, 'warn');
  });

  it('never copies a payload whole: a store write with a secret in its value logs only its op, collection and id', () => {
    const record = logRecord({ name: 'store.command', payload: { commandId: 's3', op: 'put', collection: 'book', key: 'alice', value: { password: new Secret('hunter2'), token: 'tok' } } }, NOW);
    assert.deepEqual(record?.fields, { event: 'store.command', commandId: 's3', op: 'put', collection: 'book' });
    assert.doesNotMatch(JSON.stringify(record), /hunter2|tok|alice/);
    const ok = logRecord(EVENTS.at(-1)!.event, NOW);
    assert.doesNotMatch(JSON.stringify(ok), /hunter2/);
  });

  it('leaves requests and replies to the request lines', () => {
    assert.equal(logRecord({ name: 'reply.ready', payload: { connectionId: 'c', requestId: 'q', text: 'secret reply\n', close: false } }, NOW), null);
    assert.equal(logRecord({ name: 'requests.received', payload: { connectionId: 'c', requests: [] } }, NOW), null);
  });
});

describe('request lines', () => {
  it('logs each request at trace when it arrives and at debug when answered, with type, outcome and duration but no body', () => {
    const clock = new VirtualClock(NOW);
    const lines = new RequestLines(clock);
    const body = { type: 'session.login', username: 'alice', password: new Secret('hunter2') };
    const received = lines.records({ name: 'requests.received', payload: { connectionId: 'c1', requests: [{ connectionId: 'c1', requestId: 'q1', dialect: 'json', body, receivedAt: NOW }] } });
    assert.deepEqual(received.map((r) => [r.level, r.msg, r.fields.requestId, r.fields.connectionId, r.fields.dialect]), [['trace', 'request q1 on c1: received', 'q1', 'c1', 'json']]);
    const text = '{"type":"session.login","ok":false,"error":{"code":"BAD_CREDENTIALS","message":"alice hunter2"}}\n';
    const outcome = { dialect: 'json', type: 'session.login', code: 'BAD_CREDENTIALS', receivedAt: NOW } as const;
    lines.records({ name: 'reply.ready', payload: { connectionId: 'c1', requestId: 'q1', text, close: false, outcome } });
    clock.advance(7);
    const [answered] = lines.records({ name: 'reply.sent', payload: { connectionId: 'c1', requestId: 'q1', delivered: true } });
    assert.equal(answered?.level, 'debug');
    assert.equal(answered?.msg, 'request q1 on c1: session.login error (BAD_CREDENTIALS) in 7 ms');
    assert.deepEqual(answered?.fields, { event: 'reply.sent', requestId: 'q1', connectionId: 'c1', dialect: 'json', type: 'session.login', outcome: 'error', code: 'BAD_CREDENTIALS', durationMs: 7, delivered: true });
    assert.doesNotMatch(JSON.stringify([received, answered]), /hunter2|alice/);
  });

  it('takes type, outcome and time from the reply’s outcome, never from its text, and marks a seed message’s reply', () => {
    const lines = new RequestLines(new VirtualClock(NOW + 5));
    // The text says otherwise: only `outcome` counts (the text is never parsed).
    const ready = (requestId: string, outcome: object, extra: object = {}) =>
      lines.records({ name: 'reply.ready', payload: { connectionId: 'c1', requestId, text: '{"ok":false,"error":{"code":"NOPE"}}\n', close: false, outcome, ...extra } as never });
    ready('c1/1', { dialect: 'text', type: 'backup.run', code: null, receivedAt: NOW });
    ready('c1/2', { dialect: 'json', type: 'pending.add', code: null, receivedAt: NOW + 1 }, { seedReply: true });
    ready('c1/3', { dialect: 'text', type: 'invalid', code: 'INVALID_REQUEST', receivedAt: NOW });
    const sent = (requestId: string) => lines.records({ name: 'reply.sent', payload: { connectionId: 'c1', requestId, delivered: true } })[0];
    assert.equal(sent('c1/1')?.msg, 'request c1/1: backup.run ok in 5 ms');
    assert.deepEqual(sent('c1/2')?.fields, { event: 'reply.sent', requestId: 'c1/2', connectionId: 'c1', dialect: 'json', type: 'pending.add', seed: true, outcome: 'ok', durationMs: 4, delivered: true });
    assert.equal(sent('c1/3')?.msg, 'request c1/3: invalid error (INVALID_REQUEST) in 5 ms');
    // A reply emitted by other code, without its outcome, has no line.
    lines.records({ name: 'reply.ready', payload: { connectionId: 'c1', requestId: 'c1/4', text: 'x\n', close: false } });
    assert.deepEqual(lines.records({ name: 'reply.sent', payload: { connectionId: 'c1', requestId: 'c1/4', delivered: true } }), []);
  });

  it('names a malformed in-process request from an embedder `invalid` instead of throwing', () => {
    const lines = new RequestLines(new VirtualClock(NOW));
    for (const command of [null, 42, { kind: 'book' }, { kind: 'book', request: null }, { kind: 'hunter2' }]) {
      assert.deepEqual(lines.records({ name: 'request.submitted', payload: { requestId: 'p1', command: command as unknown as Command, clientAddress: 'in-process' } }), []);
      const [settled] = lines.records({ name: 'request.settled', payload: { requestId: 'p1', ok: true, result: { kind: 'connection.exit' } } as never });
      assert.equal(settled?.fields.type, 'invalid');
    }
  });

  it('logs an in-process request when it settles, and forgets replies of a closed connection', () => {
    const clock = new VirtualClock(NOW);
    const lines = new RequestLines(clock);
    lines.records({ name: 'request.submitted', payload: { requestId: 'p1', command: { kind: 'backup.status' }, clientAddress: 'in-process' } });
    clock.advance(3);
    const [settled] = lines.records({ name: 'request.settled', payload: { requestId: 'p1', ok: false, error: { code: 'INTERNAL', message: 'Something went wrong', detail: 'ENOSPC' } } });
    assert.equal(settled?.level, 'error');
    assert.equal(settled?.fields.type, 'backup.status');
    assert.equal(settled?.fields.durationMs, 3);
    lines.records({ name: 'reply.ready', payload: { connectionId: 'c9', requestId: 'q9', text: 'x\n', close: false, outcome: { dialect: 'text', type: 'backup.status', code: null, receivedAt: NOW } } });
    lines.records({ name: 'connection.closed', payload: { connectionId: 'c9', reason: 'client' } });
    assert.deepEqual(lines.records({ name: 'reply.sent', payload: { connectionId: 'c9', requestId: 'q9', delivered: false } }), []);
  });
});

describe('request lines above debug', () => {
  it('make no arrival line when trace is off', () => {
    const lines = new RequestLines(new VirtualClock(NOW), { trace: false });
    assert.deepEqual(lines.records({ name: 'requests.received', payload: { connectionId: 'c1', requests: [{ connectionId: 'c1', requestId: 'q1', dialect: 'text', text: 'status', framing: 'line', receivedAt: NOW }] } }), []);
  });

  it('keep no request and read no reply, but still tell a failure with log-only words', () => {
    const lines = new RequestLines(new VirtualClock(NOW), { track: false });
    assert.deepEqual(lines.records({ name: 'requests.received', payload: { connectionId: 'c1', requests: [{ connectionId: 'c1', requestId: 'q1', dialect: 'text', text: 'status', framing: 'line', receivedAt: NOW }] } }), []);
    assert.deepEqual(lines.records({ name: 'reply.ready', payload: { connectionId: 'c1', requestId: 'q1', text: 'x\n', close: false, outcome: { dialect: 'text', type: 'backup.status', code: null, receivedAt: NOW } } }), []);
    assert.deepEqual(lines.records({ name: 'reply.sent', payload: { connectionId: 'c1', requestId: 'q1', delivered: true } }), []);
    const [failed] = lines.records({ name: 'request.settled', payload: { requestId: 'p1', ok: false, error: { code: 'INTERNAL', message: 'Something went wrong', detail: 'ENOSPC' } } });
    assert.equal(failed?.level, 'error');
    assert.equal(failed?.msg, 'request p1 failed (INTERNAL): Something went wrong [ENOSPC]');
  });
});
