import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideRetention, periodOf, type RetentionPolicy } from '../../src/backup/retention.ts';
import { isoWeekOf, utcCalendar } from '../../src/backup/retention-calendar.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Versions one per `stepMs` from `start`, oldest first; `damaged` lists the seqs to mark. */
function history(start: string, count: number, stepMs: number, damaged: readonly number[] = []) {
  return Array.from({ length: count }, (_, index) => {
    const seq = index + 1;
    return { id: `v${seq}`, seq, createdAt: Date.parse(start) + index * stepMs, ...(damaged.includes(seq) ? { damaged: { at: 0, reason: 'content-mismatch' } } : {}) };
  });
}

const keptIds = (versions: ReturnType<typeof history>, policy: RetentionPolicy) => decideRetention(versions, policy, utcCalendar).keep.map(({ version }) => version.id);

describe('retention decisions', () => {
  it('keeps everything under an empty policy, damaged versions too', () => {
    const decision = decideRetention(history('2026-11-24T09:00:00Z', 4, HOUR, [2]), {}, utcCalendar);
    assert.deepEqual(decision.keep.map(({ version }) => version.id), ['v4', 'v3', 'v2', 'v1']);
    assert.deepEqual(decision.remove, []);
    assert.deepEqual(decision.keep[0]?.reasons, [{ rule: 'no-policy' }]);
  });

  it('keeps the newest N for last, and ranks them in the reasons', () => {
    const decision = decideRetention(history('2026-11-24T09:00:00Z', 5, HOUR), { last: 2 }, utcCalendar);
    assert.deepEqual(decision.keep.map(({ version, reasons }) => [version.id, reasons]), [
      ['v5', [{ rule: 'last', period: '1' }]],
      ['v4', [{ rule: 'last', period: '2' }]],
    ]);
    assert.deepEqual(decision.remove.map(({ version, reason }) => [version.id, reason]), [['v3', 'not-kept'], ['v2', 'not-kept'], ['v1', 'not-kept']]);
  });

  it('keeps the newest version of each of the N newest days that have versions, skipping empty days', () => {
    // Four a day, 6 hours apart, over five days; then a gap of three days and one more.
    const versions = [...history('2026-11-20T01:00:00Z', 20, 6 * HOUR), { id: 'late', seq: 21, createdAt: Date.parse('2026-11-28T12:00:00Z') }];
    assert.deepEqual(keptIds(versions, { daily: 3 }), ['late', 'v20', 'v16']);
  });

  it('says every rule that keeps a version, and keeps it once', () => {
    const decision = decideRetention(history('2026-11-24T09:00:00Z', 3, HOUR), { last: 1, hourly: 2, daily: 1 }, utcCalendar);
    assert.deepEqual(decision.keep.map(({ version, reasons }) => [version.id, reasons.map(({ rule }) => rule)]), [
      ['v3', ['last', 'hourly', 'daily']],
      ['v2', ['hourly']],
    ]);
  });

  it('keeps the newest good version of a day whose newest version is damaged, and removes the damaged one', () => {
    const decision = decideRetention(history('2026-11-24T09:00:00Z', 3, HOUR, [3]), { daily: 1 }, utcCalendar);
    assert.deepEqual(decision.keep.map(({ version, reasons }) => [version.id, reasons]), [['v2', [{ rule: 'daily', period: '2026-11-24' }]]]);
    assert.deepEqual(decision.remove.map(({ version, reason }) => [version.id, reason]), [['v3', 'damaged'], ['v1', 'not-kept']]);
  });

  it('orders by registration, not by time: a clock set back cannot make the newest version look old', () => {
    const versions = [
      { id: 'old', seq: 1, createdAt: Date.parse('2026-11-24T09:00:00Z') },
      { id: 'newest', seq: 2, createdAt: Date.parse('2026-11-20T09:00:00Z') },
    ];
    assert.deepEqual(keptIds(versions, { last: 1 }), ['newest']);
  });

  it('buckets weeks by ISO week, months and years by the calendar', () => {
    const versions = history('2026-12-27T12:00:00Z', 8, DAY); // Sun 27 Dec 2026 … Sun 3 Jan 2027
    assert.deepEqual(keptIds(versions, { weekly: 5 }), ['v8', 'v1']);
    assert.deepEqual(keptIds(versions, { monthly: 5 }), ['v8', 'v5']);
    assert.deepEqual(keptIds(versions, { yearly: 1 }), ['v8']);
  });
});

describe('calendar periods', () => {
  it('names each period readably, in UTC when given the UTC calendar', () => {
    const at = Date.parse('2026-11-24T09:30:00Z');
    assert.deepEqual(
      (['hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const).map((rule) => periodOf(rule, at, utcCalendar)),
      ['2026-11-24T09', '2026-11-24', '2026-W48', '2026-11', '2026'],
    );
  });

  it('puts the days around new year in the ISO week their Thursday is in', () => {
    assert.deepEqual(isoWeekOf({ year: 2027, month: 1, day: 1 }), { year: 2026, week: 53 });
    assert.deepEqual(isoWeekOf({ year: 2027, month: 1, day: 4 }), { year: 2027, week: 1 });
    assert.deepEqual(isoWeekOf({ year: 2024, month: 12, day: 30 }), { year: 2025, week: 1 });
    assert.deepEqual(isoWeekOf({ year: 2021, month: 1, day: 3 }), { year: 2020, week: 53 });
  });
});
