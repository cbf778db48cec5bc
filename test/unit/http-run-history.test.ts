import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Bus } from '../../src/bus/bus.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import type { BackupVersion } from '../../src/backup/version.ts';
import { MAX_RUNS, RunHistory } from '../../adapters/http/run-history.ts';

const START = Date.parse('2026-11-24T09:00:00.000Z');
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const version = (size: number) => ({ size }) as BackupVersion;
const error = { code: 'SOURCE_NOT_FOUND', message: 'gone' } as never;

function started(clock = new VirtualClock(START), options: { maxRuns?: number } = {}) {
  const bus = new Bus();
  const history = new RunHistory({ clock, ...options });
  const changes: string[] = [];
  history.start(bus, (what) => changes.push(what));
  return { bus, clock, history, changes };
}

describe('the status page run history', () => {
  it('times a run from its copy start to its end, by run id, and keeps size and outcome', async () => {
    const { bus, clock, history, changes } = started();
    await bus.emit('backup.copy.started', { jobId: 'a', runId: 'r1', at: clock.now() });
    await bus.emit('backup.copy.started', { jobId: 'b', runId: 'r2', at: clock.now() + 100 });
    await bus.emit('backup.completed', { jobId: 'b', runId: 'r2', at: clock.now() + 400, kind: 'copied', version: version(2048), requestIds: [] });
    await bus.emit('backup.failed', { jobId: 'a', runId: 'r1', at: clock.now() + 1_000, error, attempt: 1, requestIds: [] });
    assert.deepEqual(history.runs(), [
      { seq: 1, jobId: 'b', at: START + 400, durationMs: 300, size: 2048, outcome: 'copied' },
      { seq: 2, jobId: 'a', at: START + 1_000, durationMs: 1_000, size: null, outcome: 'failed', code: 'SOURCE_NOT_FOUND' },
    ]);
    assert.deepEqual(changes, ['runs', 'runs']);
  });

  it('gives a run whose start it did not see no duration, rather than a made-up one', async () => {
    const { bus, clock, history } = started();
    await bus.emit('backup.completed', { jobId: 'a', runId: 'r9', at: clock.now(), kind: 'unchanged', version: version(5), requestIds: [] });
    assert.equal(history.runs()[0]?.durationMs, null);
  });

  it('gives a page only the runs after the newest it has (seq), newest list first', async () => {
    const { bus, clock, history } = started();
    for (let i = 1; i <= 5; i++) await bus.emit('backup.completed', { jobId: 'a', runId: `r${i}`, at: clock.now() + i, kind: 'copied', version: version(i), requestIds: [] });
    assert.equal(history.lastSeq, 5);
    assert.deepEqual(history.runs(3).map((run) => [run.seq, run.size]), [[4, 4], [5, 5]]);
    assert.deepEqual(history.runs(5), []);
    assert.equal(history.runs().length, 5);
    assert.deepEqual(history.recent(2).map((run) => run.seq), [5, 4]);
  });

  it('keeps at most maxRuns runs, dropping the oldest', async () => {
    const { bus, clock, history } = started(undefined, { maxRuns: 3 });
    for (let i = 1; i <= 5; i++) await bus.emit('backup.completed', { jobId: 'a', runId: `r${i}`, at: clock.now() + i, kind: 'copied', version: version(i), requestIds: [] });
    assert.deepEqual(history.runs().map((run) => run.size), [3, 4, 5]);
  });

  it('keeps a whole day of runs at one every 10 s (it used to keep 500, 80 minutes of them), and forgets runs older than a day', async () => {
    const { bus, clock, history } = started();
    for (let i = 1; i <= MAX_RUNS; i++) {
      clock.advance(10_000);
      await bus.emit('backup.completed', { jobId: 'a', runId: `r${i}`, at: clock.now(), kind: 'copied', version: version(i), requestIds: [] });
    }
    assert.equal(MAX_RUNS, 8_640);
    const runs = history.runs();
    assert.equal(runs.length, MAX_RUNS);
    assert.equal(runs[0]?.at, START + 10_000, 'the first run of the day is still there');
    assert.equal(clock.now() - (runs[0]?.at ?? 0), DAY - 10_000);
    // A quiet day later, one more run: the old ones are gone from memory, not just from the answer.
    clock.advance(DAY + 1);
    await bus.emit('backup.completed', { jobId: 'a', runId: 'late', at: clock.now(), kind: 'copied', version: version(1), requestIds: [] });
    assert.deepEqual(history.runs().map((run) => run.jobId + run.size), ['a1']);
    assert.equal(history.size, 1);
  });

  it('is seeded with the catalog versions of the last day only, oldest first', () => {
    const clock = new VirtualClock(START);
    const history = new RunHistory({ clock });
    history.seed([
      { jobId: 'a', createdAt: START - 2 * MINUTE, size: 20 },
      { jobId: 'a', createdAt: START - 2 * DAY, size: 1 },
      { jobId: 'b', createdAt: START - 5 * MINUTE, size: 10 },
    ]);
    assert.deepEqual(history.runs().map((run) => [run.jobId, run.size, run.durationMs, run.outcome]), [['b', 10, null, 'copied'], ['a', 20, null, 'copied']]);
  });

  it('counts replies per minute over a day, forgetting what is older, in a fixed ring', async () => {
    const { bus, clock, history } = started();
    const reply = () => bus.emit('reply.ready', { connectionId: 'c', requestId: 'q', text: 'ok\n', close: false });
    await reply();
    await reply();
    clock.advance(MINUTE);
    await reply();
    let rate = history.requestRate();
    assert.equal(rate.counts.length, 24 * 60);
    assert.deepEqual(rate.counts.slice(-2), [2, 1]);
    assert.equal(rate.start + (rate.counts.length - 1) * MINUTE, Math.floor(clock.now() / MINUTE) * MINUTE);
    clock.advance(DAY - MINUTE);
    rate = history.requestRate();
    assert.deepEqual(rate.counts.slice(0, 1), [1], 'the last minute within the day is kept');
    assert.equal(rate.counts.reduce((a, b) => a + b, 0), 1);
    clock.advance(30 * DAY);
    assert.equal(history.requestRate().counts.reduce((a, b) => a + b, 0), 0, 'a long quiet empties the ring');
  });

  it('hears nothing once stopped', async () => {
    const { bus, clock, history } = started();
    history.stop();
    await bus.emit('backup.completed', { jobId: 'a', runId: 'r1', at: clock.now(), kind: 'copied', version: version(1), requestIds: [] });
    assert.deepEqual(history.runs(), []);
  });
});
