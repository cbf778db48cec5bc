import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createActor } from 'xstate';
import { backupJobMachine, backoffDelay, type BackupJobEmitted } from '../../machines/backup-job.machine.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import { INTERNAL_ERROR_MESSAGE } from '../../src/errors/safekeep-error.ts';
import { controlledCopy, settle } from '../helpers/controlled-copy.ts';

const MINUTE = 60_000;

function startJob(options: { initialDelayMs?: number; intervalMs?: number } = {}) {
  const clock = new VirtualClock(0);
  const copy = controlledCopy();
  const emitted: BackupJobEmitted[] = [];
  const actor = createActor(backupJobMachine.provide({ actors: { copy: copy.logic } }), {
    clock,
    input: {
      jobId: 'notes.json',
      intervalMs: options.intervalMs ?? MINUTE,
      initialDelayMs: options.initialDelayMs ?? 0,
      retry: { baseMs: 1_000, maxMs: 30_000 },
    },
  });
  actor.on('*', (event) => emitted.push(event));
  actor.start();
  const state = () => actor.getSnapshot().value;
  const types = () => emitted.map((event) => event.type);
  return { clock, copy, actor, emitted, state, types };
}

describe('backup job machine', () => {
  it('starts idle and does nothing until told to start', () => {
    const job = startJob();
    assert.equal(job.state(), 'idle');
    job.clock.advance(10 * MINUTE);
    assert.equal(job.copy.calls.length, 0);
  });

  it('copies at once when the first run is due now', () => {
    const job = startJob({ initialDelayMs: 0 });
    job.actor.send({ type: 'START' });
    assert.equal(job.state(), 'scheduled');
    job.clock.advance(0);
    assert.equal(job.state(), 'copying');
    assert.equal(job.copy.calls.length, 1);
    assert.deepEqual(job.copy.calls[0]?.input, { jobId: 'notes.json', runId: 'notes.json#1' });
  });

  it('waits the initial delay when the last version is still fresh', () => {
    const job = startJob({ initialDelayMs: 20_000 });
    job.actor.send({ type: 'START' });
    job.clock.advance(19_999);
    assert.equal(job.state(), 'scheduled');
    job.clock.advance(1);
    assert.equal(job.state(), 'copying');
  });

  it('moves from copying to done and back to scheduled when the copy is durable', async () => {
    const job = startJob();
    job.actor.send({ type: 'START' });
    job.clock.advance(0);
    job.copy.calls[0]?.succeed('copied');
    await settle();
    assert.equal(job.state(), 'scheduled');
    assert.deepEqual(job.types(), ['scheduled', 'copy.started', 'completed', 'scheduled']);
    const completed = job.emitted.find((event) => event.type === 'completed');
    assert.equal(completed?.type === 'completed' && completed.kind, 'copied');
  });

  it('runs every interval, counting the copy time toward it', async () => {
    const job = startJob({ intervalMs: MINUTE });
    job.actor.send({ type: 'START' });
    job.clock.advance(0);
    job.clock.advance(5_000); // the copy takes five seconds
    job.copy.calls[0]?.succeed('copied', 5_000);
    await settle();
    job.clock.advance(MINUTE - 5_000 - 1);
    assert.equal(job.copy.calls.length, 1);
    job.clock.advance(1);
    assert.equal(job.copy.calls.length, 2);
    assert.equal(job.copy.calls[1]?.input.runId, 'notes.json#2');
  });

  it('reports an unchanged source as done (unchanged)', async () => {
    const job = startJob();
    job.actor.send({ type: 'START' });
    job.clock.advance(0);
    job.copy.calls[0]?.succeed('unchanged');
    await settle();
    const completed = job.emitted.find((event) => event.type === 'completed');
    assert.equal(completed?.type === 'completed' && completed.kind, 'unchanged');
    assert.equal(job.state(), 'scheduled');
  });

  it('retries a failed run with exponential backoff, capped, and resets after a success', async () => {
    const job = startJob({ intervalMs: 10 * MINUTE });
    job.actor.send({ type: 'START' });
    job.clock.advance(0);
    const delays: number[] = [];
    for (let attempt = 0; attempt < 7; attempt++) {
      job.copy.calls[attempt]?.fail('SOURCE_NOT_FOUND');
      await settle();
      assert.equal(job.state(), 'scheduled');
      const scheduled = job.emitted.at(-1);
      assert.equal(scheduled?.type, 'scheduled');
      if (scheduled?.type === 'scheduled') delays.push(scheduled.delayMs);
      job.clock.advance(job.actor.getSnapshot().context.delayMs);
    }
    assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    job.copy.calls[7]?.succeed();
    await settle();
    assert.equal(job.actor.getSnapshot().context.failures, 0);
    assert.equal(job.actor.getSnapshot().context.delayMs, 10 * MINUTE);
  });

  it('never backs off longer than the interval itself', () => {
    assert.equal(backoffDelay(10, { baseMs: 1_000, maxMs: 3_600_000 }, 5_000), 5_000);
  });

  it('keeps the schedule when the copy actor throws, reporting an internal error whose words go only to the log', async () => {
    const job = startJob();
    job.actor.send({ type: 'START' });
    job.clock.advance(0);
    job.copy.calls[0]?.crash('disk exploded');
    await settle();
    const failed = job.emitted.find((event) => event.type === 'failed');
    assert.deepEqual(failed?.type === 'failed' && failed.error, { code: 'INTERNAL', message: INTERNAL_ERROR_MESSAGE, detail: 'disk exploded' });
    assert.equal(job.state(), 'scheduled');
  });

  it('runs a requested backup at once and names the request when it completes', async () => {
    const job = startJob({ initialDelayMs: MINUTE });
    job.actor.send({ type: 'START' });
    job.actor.send({ type: 'RUN_NOW', requestId: 'req_1' });
    assert.equal(job.state(), 'copying');
    job.copy.calls[0]?.succeed();
    await settle();
    const completed = job.emitted.find((event) => event.type === 'completed');
    assert.deepEqual(completed?.type === 'completed' && completed.requestIds, ['req_1']);
  });

  it('answers a request made during a copy with a fresh copy after it', async () => {
    const job = startJob();
    job.actor.send({ type: 'START' });
    job.clock.advance(0);
    job.actor.send({ type: 'RUN_NOW', requestId: 'req_late' });
    job.actor.send({ type: 'RUN_NOW', requestId: 'req_later' });
    job.copy.calls[0]?.succeed();
    await settle();
    assert.equal(job.state(), 'copying');
    assert.equal(job.copy.calls.length, 2);
    job.copy.calls[1]?.succeed();
    await settle();
    const completions = job.emitted.filter((event) => event.type === 'completed');
    assert.deepEqual(
      completions.map((event) => event.type === 'completed' && event.requestIds),
      [[], ['req_late', 'req_later']],
    );
  });

  it('reports a failed requested run to its request', async () => {
    const job = startJob({ initialDelayMs: MINUTE });
    job.actor.send({ type: 'START' });
    job.actor.send({ type: 'RUN_NOW', requestId: 'req_1' });
    job.copy.calls[0]?.fail('DESTINATION_FULL');
    await settle();
    const failed = job.emitted.find((event) => event.type === 'failed');
    assert.deepEqual(failed?.type === 'failed' && failed.requestIds, ['req_1']);
  });

  it('fires no scheduled run while paused, and copies at once on resume', () => {
    const job = startJob({ initialDelayMs: MINUTE });
    job.actor.send({ type: 'START' });
    job.actor.send({ type: 'PAUSE' });
    assert.equal(job.state(), 'paused');
    job.clock.advance(60 * MINUTE);
    assert.equal(job.copy.calls.length, 0);
    job.actor.send({ type: 'RESUME' });
    assert.equal(job.state(), 'copying');
    assert.ok(job.types().includes('resumed'));
  });

  it('finishes a running copy before pausing', async () => {
    const job = startJob();
    job.actor.send({ type: 'START' });
    job.clock.advance(0);
    job.actor.send({ type: 'PAUSE' });
    assert.equal(job.state(), 'copying');
    job.copy.calls[0]?.succeed();
    await settle();
    assert.equal(job.state(), 'paused');
  });

  it('runs an explicit request while paused and stays paused afterwards', async () => {
    const job = startJob();
    job.actor.send({ type: 'PAUSE' });
    job.actor.send({ type: 'RUN_NOW', requestId: 'req_1' });
    assert.equal(job.state(), 'copying');
    job.copy.calls[0]?.succeed();
    await settle();
    assert.equal(job.state(), 'paused');
  });

  it('aborts the running copy when the job is stopped', () => {
    const job = startJob();
    job.actor.send({ type: 'START' });
    job.clock.advance(0);
    const signal = job.copy.calls[0]?.signal;
    assert.equal(signal?.aborted, false);
    job.actor.stop();
    assert.equal(signal?.aborted, true);
    assert.equal(job.clock.pendingTimers, 0);
  });
});
