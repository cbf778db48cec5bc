import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createActor } from 'xstate';
import { requestMachine, type DispatchParams } from '../../machines/request.machine.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import { textDialect } from '../../src/protocol/text-dialect.ts';
import type { Framing, ReplyReady, RequestReceived } from '../../src/protocol/messages.ts';
import { wholeReplyText } from '../../src/protocol/reply-chunks.ts';
import { ticker } from '../../src/host/ticker.ts';

function startFlow() {
  const clock = new VirtualClock(0);
  const dispatched: DispatchParams[] = [];
  // Text-dialect replies never hold a Secret nor chunks; wholeReplyText() just gives the string back.
  const replies: (Omit<ReplyReady, 'text'> & { text: string })[] = [];
  const machine = requestMachine.provide({
    actors: { ticker: ticker(clock) },
    actions: {
      dispatch: (_, params) => dispatched.push(params),
      deliver: (_, reply) => replies.push({ ...reply, text: wholeReplyText(reply.text) }),
    },
  });
  const actor = createActor(machine, {
    clock,
    input: { connectionId: 'conn_1', codec: textDialect, timeouts: { defaultMs: 5_000, backupMs: 60_000 } },
  });
  actor.start();
  let n = 0;
  const send = (text: string, framing: Framing = 'bare', problem?: RequestReceived['problem']) => {
    const requestId = `req_${++n}`;
    actor.send({
      type: 'REQUEST',
      request: { connectionId: 'conn_1', requestId, dialect: 'text', text, framing, receivedAt: clock.now(), ...(problem ? { problem } : {}) },
    });
    return requestId;
  };
  const revertResult = (path: string | null) => ({
    kind: 'backup.revert' as const,
    version: path === null ? null : { id: 'j@1', jobId: 'j', seq: 1, path, size: 1, sha256: '', createdAt: 0, source: { size: 1, mtimeNs: '', ctimeNs: '', ino: '', dev: '' } },
  });
  return { clock, actor, dispatched, replies, send, revertResult, state: () => actor.getSnapshot().value };
}

describe('request flow machine', () => {
  it('validates a received request, dispatches it and waits for its handler', () => {
    const flow = startFlow();
    assert.equal(flow.state(), 'waiting');
    const id = flow.send('revert');
    assert.equal(flow.state(), 'dispatched');
    assert.deepEqual(flow.dispatched, [{ requestId: id, command: { kind: 'backup.revert', job: null } }]);
    assert.equal(flow.replies.length, 0);
  });

  it('replies with the handler result, framed like the request', () => {
    const flow = startFlow();
    const id = flow.send('revert', 'line');
    flow.actor.send({ type: 'HANDLED', requestId: id, result: flow.revertResult('/data/notes.json') });
    assert.deepEqual(flow.replies, [{ connectionId: 'conn_1', requestId: id, text: '/data/notes.json\n', close: false }]);
    assert.equal(flow.state(), 'waiting');
  });

  it('replies to an invalid request without dispatching it', () => {
    const flow = startFlow();
    flow.send('dance');
    assert.equal(flow.dispatched.length, 0);
    assert.equal(flow.replies[0]?.text, "Invalid request command 'dance' sent.");
  });

  it('handles queued requests one at a time, in order', () => {
    const flow = startFlow();
    const first = flow.send('revert');
    const second = flow.send('backup');
    const third = flow.send('nonsense');
    assert.equal(flow.dispatched.length, 1);
    flow.actor.send({ type: 'HANDLED', requestId: first, result: flow.revertResult(null) });
    assert.equal(flow.dispatched.length, 2);
    assert.equal(flow.dispatched[1]?.requestId, second);
    flow.actor.send({ type: 'FAILED', requestId: second, error: { code: 'SOURCE_NOT_FOUND', message: '/x does not exist' } });
    assert.deepEqual(
      flow.replies.map((reply) => [reply.requestId, reply.text]),
      [
        [first, 'No backup found.'],
        [second, 'Error (SOURCE_NOT_FOUND): /x does not exist'],
        [third, "Invalid request command 'nonsense' sent."],
      ],
    );
  });

  it('times a slow request out with REQUEST_TIMEOUT and ignores its late answer', () => {
    const flow = startFlow();
    const slow = flow.send('revert', 'line');
    flow.clock.advance(4_999);
    assert.equal(flow.state(), 'dispatched');
    assert.equal(flow.replies.length, 0);
    flow.clock.advance(1);
    assert.match(flow.replies[0]?.text ?? '', /^Error \(REQUEST_TIMEOUT\)/);
    const next = flow.send('revert', 'line');
    flow.actor.send({ type: 'HANDLED', requestId: slow, result: flow.revertResult('/late') });
    assert.equal(flow.replies.length, 1);
    flow.actor.send({ type: 'HANDLED', requestId: next, result: flow.revertResult('/on-time') });
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

  it('closes the flow on exit, dropping what was queued behind it', () => {
    const flow = startFlow();
    flow.send('exit');
    assert.deepEqual(flow.replies.map((reply) => [reply.text, reply.close]), [['', true]]);
    assert.equal(flow.actor.getSnapshot().status, 'done');
  });

  it('counts the time limit from when the request was received, queueing included', () => {
    const flow = startFlow();
    const first = flow.send('revert', 'line');
    flow.send('revert', 'line');
    flow.clock.advance(3_000);
    flow.actor.send({ type: 'HANDLED', requestId: first, result: flow.revertResult('/a') });
    flow.clock.advance(2_000);
    assert.deepEqual(flow.replies.map((reply) => reply.text.slice(0, 24)), ['/a\n', 'Error (REQUEST_TIMEOUT):']);
  });

  it('answers an invalid request queued behind a slow one in its turn', () => {
    const flow = startFlow();
    const first = flow.send('backup', 'line');
    flow.send('nonsense', 'line');
    const third = flow.send('revert', 'line');
    assert.equal(flow.replies.length, 0);
    flow.actor.send({ type: 'HANDLED', requestId: first, result: { kind: 'backup.run', outcome: 'copied', version: flow.revertResult('/v').version! } });
    assert.deepEqual(flow.replies.map((reply) => reply.text), ['Backup completed\n', "Invalid request command 'nonsense' sent.\n"]);
    assert.equal(flow.dispatched.at(-1)?.requestId, third);
  });

  it('stops at exit queued behind other requests, after answering them', () => {
    const flow = startFlow();
    const first = flow.send('revert', 'line');
    flow.send('exit', 'line');
    flow.send('revert', 'line');
    flow.actor.send({ type: 'HANDLED', requestId: first, result: flow.revertResult('/a') });
    assert.deepEqual(flow.replies.map((reply) => [reply.text, reply.close]), [['/a\n', false], ['', true]]);
    assert.equal(flow.actor.getSnapshot().status, 'done');
  });

  it('stops at once when the connection closes with nothing queued', () => {
    const flow = startFlow();
    flow.actor.send({ type: 'CONNECTION_CLOSED' });
    assert.equal(flow.actor.getSnapshot().status, 'done');
    assert.equal(flow.clock.pendingTimers, 0, 'its ticker is stopped with it');
  });

  it('finishes queued requests after the connection closes, then stops', () => {
    const flow = startFlow();
    const id = flow.send('backup');
    const queued = flow.send('revert');
    flow.actor.send({ type: 'CONNECTION_CLOSED' });
    assert.equal(flow.actor.getSnapshot().status, 'active');
    flow.actor.send({ type: 'HANDLED', requestId: id, result: { kind: 'backup.run', outcome: 'copied', version: flow.revertResult('/v').version! } });
    assert.equal(flow.actor.getSnapshot().status, 'active');
    flow.actor.send({ type: 'HANDLED', requestId: queued, result: flow.revertResult('/v') });
    assert.equal(flow.actor.getSnapshot().status, 'done');
  });

  it('answers transport problems with a clear error', () => {
    const flow = startFlow();
    flow.send('\uFFFD', 'line', 'invalid-utf8');
    flow.send('x', 'line', 'too-long');
    assert.deepEqual(flow.replies.map((reply) => reply.text), ['Invalid request: it is not UTF-8 text.\n', 'Request too long.\n']);
  });
});
