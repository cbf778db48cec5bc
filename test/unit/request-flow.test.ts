import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planRequests } from '../../machines/request.machine.ts';
import { Bus } from '../../src/bus/bus.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import { SourceNotFoundError } from '../../src/backup/errors.ts';
import { RequestRouter } from '../../src/host/request-router.ts';
import type { Command, CommandHandler, CommandResult } from '../../src/protocol/commands.ts';
import { jsonDialect } from '../../src/protocol/json-dialect.ts';
import type { Framing, RequestReceived } from '../../src/protocol/messages.ts';
import { wholeReplyText } from '../../src/protocol/reply-chunks.ts';
import { textDialect } from '../../src/protocol/text-dialect.ts';

const codecs = { text: textDialect, json: jsonDialect };
const timeouts = { defaultMs: 5_000, backupMs: 60_000 };
const turn = () => new Promise((resolve) => setImmediate(resolve));

/** The request flow on a bus, with a handler whose every command waits until the test answers it. */
function startFlow(flowCodecs: typeof codecs = codecs) {
  const bus = new Bus();
  const clock = new VirtualClock(0);
  const dispatched: { requestId: string; command: Command; answer(result: CommandResult): void; fail(error: Error): void }[] = [];
  const handler = ((command, { requestId }) =>
    new Promise<CommandResult>((resolve, reject) => {
      dispatched.push({ requestId, command, answer: resolve, fail: reject });
    })) as CommandHandler;
  const router = new RequestRouter({ bus, clock, handler, codecs: flowCodecs, timeouts });
  router.start();
  const replies: { requestId: string; text: string; close: boolean }[] = [];
  bus.on$('reply.ready').subscribe((reply) => replies.push({ requestId: reply.requestId, text: wholeReplyText(reply.text), close: reply.close }));
  let n = 0;
  /** Sends requests as one read, the way the socket does: one event. */
  const failures: string[] = [];
  bus.on$('request.failed').subscribe((failed) => failures.push(`${failed.requestId} ${failed.error.code}`));
  const send = (...texts: (string | [string, Framing, RequestReceived['problem']?])[]) => {
    const requests = texts.map((item): RequestReceived => {
      const [text, framing, problem] = typeof item === 'string' ? [item, 'line' as Framing] : item;
      return { connectionId: 'conn_1', requestId: `req_${++n}`, dialect: 'text', text, framing, receivedAt: clock.now(), ...(problem ? { problem } : {}) };
    });
    void bus.emit('requests.received', { connectionId: 'conn_1', requests });
    return requests.map((request) => request.requestId);
  };
  const revertResult = (path: string | null): CommandResult => ({
    kind: 'backup.revert',
    version: path === null ? null : { id: 'j@1', jobId: 'j', seq: 1, path, size: 1, sha256: '', createdAt: 0, source: { size: 1, mtimeNs: '', ctimeNs: '', ino: '', dev: '' } },
  });
  return { bus, clock, router, dispatched, replies, failures, send, revertResult };
}

describe('the request flow', () => {
  it('plans a read in one step: dispatch the valid, answer the invalid, stop at exit', () => {
    const request = (text: string, receivedAt = 100): RequestReceived => ({ connectionId: 'c', requestId: text, dialect: 'text', text, framing: 'line', receivedAt });
    const plan = planRequests({ codecs, timeouts }, 'c', [request('revert'), request('dance'), request('backup'), request('exit'), request('revert')]);
    assert.deepEqual(
      plan.steps.map((step) => [step.kind, step.request.requestId, step.kind === 'dispatch' ? step.deadline : null]),
      [
        ['dispatch', 'revert', 5_100],
        ['reject', 'dance', null],
        ['dispatch', 'backup', 60_100],
        ['exit', 'exit', null],
      ],
    );
    assert.equal(plan.codec, textDialect);
  });

  it('dispatches a request, and replies with its result, framed like the request', async () => {
    const flow = startFlow();
    const [id] = flow.send('revert');
    assert.deepEqual(flow.dispatched.map(({ requestId, command }) => ({ requestId, command })), [{ requestId: id, command: { kind: 'backup.revert', job: null } }]);
    flow.dispatched[0]?.answer(flow.revertResult('/data/notes.json'));
    await turn();
    assert.deepEqual(flow.replies, [{ requestId: id, text: '/data/notes.json\n', close: false }]);
  });

  it('replies to an invalid request without dispatching it, at once', () => {
    const flow = startFlow();
    flow.send(['dance', 'bare']);
    assert.equal(flow.dispatched.length, 0);
    assert.deepEqual(flow.replies.map(({ text }) => text), ["Invalid request command 'dance' sent."]);
  });

  it('handles one read’s requests one at a time, in order, each after the one before has answered', async () => {
    const flow = startFlow();
    const [first, second, third] = flow.send(['revert', 'bare'], ['backup', 'bare'], ['nonsense', 'bare']);
    assert.equal(flow.dispatched.length, 1);
    flow.dispatched[0]?.answer(flow.revertResult(null));
    await turn();
    assert.equal(flow.dispatched.length, 2);
    assert.equal(flow.dispatched[1]?.requestId, second);
    flow.dispatched[1]?.fail(new SourceNotFoundError('/x does not exist'));
    await turn();
    assert.deepEqual(
      flow.replies.map((reply) => [reply.requestId, reply.text]),
      [
        [first, 'No backup found.'],
        [second, 'Error (SOURCE_NOT_FOUND): /x does not exist'],
        [third, "Invalid request command 'nonsense' sent."],
      ],
    );
  });

  it('keeps order across reads: a later read waits for the earlier one', async () => {
    const flow = startFlow();
    const [first] = flow.send('revert');
    const [second] = flow.send('nonsense');
    assert.equal(flow.replies.length, 0, 'the invalid request waits its turn');
    flow.dispatched[0]?.answer(flow.revertResult('/a'));
    await turn();
    assert.deepEqual(flow.replies.map(({ requestId }) => requestId), [first, second]);
  });

  it('times a slow request out with REQUEST_TIMEOUT and ignores its late answer', async () => {
    const flow = startFlow();
    flow.send('revert');
    flow.clock.advance(4_999);
    assert.equal(flow.replies.length, 0);
    flow.clock.advance(1);
    assert.match(flow.replies[0]?.text ?? '', /^Error \(REQUEST_TIMEOUT\)/);
    flow.send('revert');
    flow.dispatched[0]?.answer(flow.revertResult('/late'));
    await turn();
    assert.equal(flow.replies.length, 1);
    flow.dispatched[1]?.answer(flow.revertResult('/on-time'));
    await turn();
    assert.equal(flow.replies[1]?.text, '/on-time\n');
  });

  it('gives a backup request the longer backup time limit', () => {
    const flow = startFlow();
    flow.send('backup');
    flow.clock.advance(59_999);
    assert.equal(flow.replies.length, 0);
    flow.clock.advance(1);
    assert.equal(flow.replies.length, 1);
  });

  it('counts the time limit from when the request was received, queueing included', async () => {
    const flow = startFlow();
    flow.send('revert', 'revert');
    flow.clock.advance(3_000);
    flow.dispatched[0]?.answer(flow.revertResult('/a'));
    await turn();
    flow.clock.advance(2_000);
    assert.deepEqual(flow.replies.map((reply) => reply.text.slice(0, 24)), ['/a\n', 'Error (REQUEST_TIMEOUT):']);
  });

  it('sets no timer while no request waits for its handler', async () => {
    const flow = startFlow();
    assert.equal(flow.clock.pendingTimers, 0);
    flow.send('revert');
    flow.send('revert');
    assert.equal(flow.clock.pendingTimers, 1, 'one timer, for the earliest deadline');
    flow.dispatched[0]?.answer(flow.revertResult('/a'));
    await turn();
    flow.dispatched[1]?.answer(flow.revertResult('/a'));
    await turn();
    flow.clock.advance(5_000);
    assert.equal(flow.clock.pendingTimers, 0);
  });

  it('closes at exit queued behind other requests, after answering them, and drops what follows', async () => {
    const flow = startFlow();
    flow.send('revert', 'exit', 'revert');
    flow.send('revert');
    flow.dispatched[0]?.answer(flow.revertResult('/a'));
    await turn();
    assert.deepEqual(flow.replies.map((reply) => [reply.text, reply.close]), [['/a\n', false], ['', true]]);
    assert.equal(flow.dispatched.length, 1);
  });

  it('finishes what was planned after the connection closes', async () => {
    const flow = startFlow();
    flow.send('backup', 'revert');
    void flow.bus.emit('connection.closed', { connectionId: 'conn_1', reason: 'client' });
    flow.dispatched[0]?.answer({ kind: 'backup.run', outcome: 'copied', version: null as never });
    await turn();
    assert.equal(flow.dispatched.length, 2, 'the queued request still runs: a write the client asked for happens');
    flow.dispatched[1]?.answer(flow.revertResult('/v'));
    await turn();
    assert.equal(flow.replies.length, 2);
  });

  it('answers transport problems with a clear error', () => {
    const flow = startFlow();
    flow.send(['\uFFFD', 'line', 'invalid-utf8'], ['x', 'line', 'too-long']);
    assert.deepEqual(flow.replies.map((reply) => reply.text), ['Invalid request: it is not UTF-8 text.\n', 'Request too long.\n']);
  });

  it('answers requests that waited past their deadline as timed out, without starting them late', async () => {
    const flow = startFlow();
    flow.send('revert', 'revert', 'revert');
    flow.clock.advance(5_000);
    await turn();
    assert.equal(flow.dispatched.length, 1, 'only the first ever ran: a request never runs beside the one before it');
    assert.deepEqual(flow.replies.map((reply) => reply.text.slice(0, 24)), Array(3).fill('Error (REQUEST_TIMEOUT):'));
  });

  it('starts nothing more once stopped: what was queued behind a running request is dropped', async () => {
    const flow = startFlow();
    flow.send('revert', 'revert');
    flow.router.stop();
    flow.dispatched[0]?.answer(flow.revertResult('/a'));
    await turn();
    assert.equal(flow.dispatched.length, 1);
    assert.equal(flow.replies.length, 0);
    assert.equal(flow.clock.pendingTimers, 0);
  });

  it('costs a request that a bug makes throw an INTERNAL reply, logged, and no one else anything', async () => {
    const { textDialect: text } = await import('../../src/protocol/text-dialect.ts');
    const boom = { ...text, parse: (request: RequestReceived) => (request.dialect === 'text' && request.text === 'boom' ? (() => { throw new TypeError('a bug in one parse'); })() : text.parse(request)) };
    const flow = startFlow({ text: boom, json: jsonDialect });
    flow.send('boom', 'nonsense');
    assert.deepEqual(flow.replies.map(({ text: reply }) => reply.slice(0, 16)), ['Error (INTERNAL)', "Invalid request "]);
    assert.deepEqual(flow.failures, ['req_1 INTERNAL']);
  });
});
