import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { RETENTION_RULES, decideRetention, type RetentionPolicy, type RetentionRule } from '../../src/backup/retention.ts';
import { utcCalendar } from '../../src/backup/retention-calendar.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FIRST_MONDAY = Date.UTC(1970, 0, 5);

interface Version {
  readonly id: string;
  readonly seq: number;
  readonly createdAt: number;
  readonly damaged?: { readonly at: number; readonly reason: string };
}

/** Histories as a job makes them: sequences in order, times that never go back, random gaps (same hour to two months), some versions quarantined. */
const histories = fc
  .record({
    start: fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) }),
    steps: fc.array(
      fc.record({
        gap: fc.oneof(fc.integer({ min: 0, max: HOUR }), fc.integer({ min: 0, max: 3 * DAY }), fc.integer({ min: 0, max: 60 * DAY })),
        damaged: fc.boolean(),
      }),
      { maxLength: 60 },
    ),
  })
  .map(({ start, steps }) => {
    let at = start;
    return steps.map(({ gap, damaged }, index): Version => {
      at += gap;
      return { id: `v${index + 1}`, seq: index + 1, createdAt: at, ...(damaged ? { damaged: { at, reason: 'content-mismatch' } } : {}) };
    });
  })
  // Shuffled: the decision must not depend on the order it is given the versions in.
  .chain((versions) => fc.shuffledSubarray(versions, { minLength: versions.length, maxLength: versions.length }));

const policies = fc.record(Object.fromEntries(RETENTION_RULES.map((rule) => [rule, fc.integer({ min: 1, max: 8 })])) as Record<RetentionRule, fc.Arbitrary<number>>, {
  requiredKeys: [],
}) as fc.Arbitrary<RetentionPolicy>;
const nonEmptyPolicies = policies.filter((policy) => Object.keys(policy).length > 0);

/** The reference model: a period's identity straight from the ISO string (weeks counted from a Monday), with no shared code. */
function referencePeriod(rule: RetentionRule, version: Version): string {
  const iso = new Date(version.createdAt).toISOString();
  switch (rule) {
    case 'last':
      return version.id;
    case 'hourly':
      return iso.slice(0, 13);
    case 'daily':
      return iso.slice(0, 10);
    case 'weekly':
      return String(Math.floor((version.createdAt - FIRST_MONDAY) / (7 * DAY)));
    case 'monthly':
      return iso.slice(0, 7);
    case 'yearly':
      return iso.slice(0, 4);
  }
}

/** Per rule: group the good versions by period, take each period's newest, keep the newest `count` periods. */
function referenceKeeps(versions: readonly Version[], rule: RetentionRule, count: number): Set<string> {
  const newestOfPeriod = new Map<string, Version>();
  for (const version of versions) {
    if (version.damaged) continue;
    const period = referencePeriod(rule, version);
    const held = newestOfPeriod.get(period);
    if (!held || held.seq < version.seq) newestOfPeriod.set(period, version);
  }
  const newestFirst = [...newestOfPeriod.values()].sort((a, b) => b.seq - a.seq);
  return new Set(newestFirst.slice(0, count).map((version) => version.id));
}

const RUNS = { numRuns: 400 };

describe('retention, proved over random histories and policies', () => {
  it('never removes the newest good version', () => {
    fc.assert(
      fc.property(histories, nonEmptyPolicies, (versions, policy) => {
        const good = versions.filter((version) => !version.damaged).sort((a, b) => b.seq - a.seq);
        const kept = decideRetention(versions, policy, utcCalendar).keep.map(({ version }) => version.id);
        if (good[0]) assert.ok(kept.includes(good[0].id), `${good[0].id} must be kept`);
      }),
      RUNS,
    );
  });

  it('keeps in each rule exactly what the reference model keeps, and removes everything else', () => {
    fc.assert(
      fc.property(histories, nonEmptyPolicies, (versions, policy) => {
        const decision = decideRetention(versions, policy, utcCalendar);
        const union = new Set<string>();
        for (const rule of RETENTION_RULES) {
          const count = policy[rule];
          const byRule = new Set(decision.keep.filter(({ reasons }) => reasons.some((reason) => reason.rule === rule)).map(({ version }) => version.id));
          const expected = count === undefined ? new Set<string>() : referenceKeeps(versions, rule, count);
          assert.deepEqual([...byRule].sort(), [...expected].sort(), `rule ${rule}`);
          expected.forEach((id) => union.add(id));
        }
        assert.deepEqual(decision.keep.map(({ version }) => version.id).sort(), [...union].sort());
        assert.equal(decision.keep.length + decision.remove.length, versions.length, 'every version is decided once');
        assert.deepEqual(new Set([...decision.keep, ...decision.remove].map(({ version }) => version.id)).size, versions.length);
      }),
      RUNS,
    );
  });

  it('never keeps a damaged version, never lets one count, and says why it goes', () => {
    fc.assert(
      fc.property(histories, nonEmptyPolicies, (versions, policy) => {
        const decision = decideRetention(versions, policy, utcCalendar);
        assert.ok(decision.keep.every(({ version }) => !version.damaged));
        assert.ok(decision.remove.every(({ version, reason }) => (reason === 'damaged') === Boolean(version.damaged)));
        const withoutDamaged = decideRetention(
          versions.filter((version) => !version.damaged),
          policy,
          utcCalendar,
        );
        assert.deepEqual(
          decision.keep.map(({ version, reasons }) => [version.id, reasons]),
          withoutDamaged.keep.map(({ version, reasons }) => [version.id, reasons]),
          'the good versions kept, and why, are the same as if the damaged ones were not there',
        );
      }),
      RUNS,
    );
  });

  it('keeps every version, damaged ones too, under an empty policy', () => {
    fc.assert(
      fc.property(histories, (versions) => {
        const decision = decideRetention(versions, {}, utcCalendar);
        assert.equal(decision.keep.length, versions.length);
        assert.equal(decision.remove.length, 0);
      }),
      RUNS,
    );
  });

  it('gives its lists newest first', () => {
    fc.assert(
      fc.property(histories, policies, (versions, policy) => {
        const decision = decideRetention(versions, policy, utcCalendar);
        for (const list of [decision.keep, decision.remove]) {
          const seqs = list.map(({ version }) => version.seq);
          assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a));
        }
      }),
      RUNS,
    );
  });
});
