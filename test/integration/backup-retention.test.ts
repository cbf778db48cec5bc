import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { MAX_INTERVAL_MS } from '../../src/backup/interval.ts';
import { RETENTION_RULES, type RetentionPolicy, type RetentionRule } from '../../src/backup/retention.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { flipByte } from '../helpers/flip-byte.ts';
import { collect, startTestHost, writeSource } from '../helpers/host-harness.ts';

const HOUR = 3_600_000;

/**
 * A host (UTC retention, an interval so long only `runBackup` makes versions)
 * with `count` versions of notes.txt, one every `stepMs`, made under `policy`.
 */
async function hostWithVersions(count: number, stepMs: number, policy: RetentionPolicy = {}) {
  const root = await tempDir('retention');
  const dataDir = path.join(root, 'data');
  const source = await writeSource(root, 'notes.txt', 'v1');
  const { host, clock } = await startTestHost(dataDir, { jobs: [{ sourcePath: source, intervalMs: MAX_INTERVAL_MS, retention: policy }], retentionTimeZone: 'utc', allowedPaths: [root] });
  const completed = collect(host, 'backup.completed');
  clock.advance(0);
  await completed.next();
  for (let n = 2; n <= count; n++) {
    clock.advance(stepMs);
    await writeFile(source, `v${n}`);
    await host.runBackup();
  }
  return { host, clock, root, dataDir, source };
}

const contents = (versions: readonly { path: string }[]) => Promise.all(versions.map((version) => readFile(version.path, 'utf8')));

describe('retention in the backup service', () => {
  it('applies the job policy after each new version: the newest N and the newest of each day', async () => {
    const { host } = await hostWithVersions(30, 2 * HOUR, { last: 2, daily: 2 });
    // From 09:00 on day one, every 2 h: v8 is the last of day one, v20 of day two, v30 (19:00) the newest, on day three.
    assert.deepEqual(await contents(host.versions('notes.txt')), ['v20', 'v29', 'v30']);
    const files = await readdir(path.dirname(host.versions('notes.txt')[0]!.path));
    assert.equal(files.length, 3, 'the removed versions\u2019 files are gone too');
    await host.stop();
  });

  it('keeps every version under an empty policy', async () => {
    const { host } = await hostWithVersions(5, HOUR, {});
    assert.equal(host.versions('notes.txt').length, 5);
    await host.stop();
  });

  it('never removes anything in a failed run, whatever the policy: pruning waits for a new version', async () => {
    const policyArb = fc.record(Object.fromEntries(RETENTION_RULES.map((rule) => [rule, fc.integer({ min: 1, max: 3 })])) as Record<RetentionRule, fc.Arbitrary<number>>, {
      requiredKeys: [],
    }) as fc.Arbitrary<RetentionPolicy>;
    await fc.assert(
      fc.asyncProperty(policyArb, fc.integer({ min: 2, max: 6 }), fc.integer({ min: 1, max: 40 * 24 }), async (policy, count, stepHours) => {
        const { host, source } = await hostWithVersions(count, stepHours * HOUR, {});
        try {
          const before = host.versions('notes.txt').map((version) => version.id);
          await host.addJob({ sourcePath: source, intervalMs: MAX_INTERVAL_MS, retention: policy });
          await rm(source);
          await assert.rejects(host.runBackup(), { code: 'SOURCE_NOT_FOUND' });
          assert.deepEqual(host.versions('notes.txt').map((version) => version.id), before);
          assert.deepEqual(await contents(host.versions('notes.txt')), before.map((_, index) => `v${index + 1}`));
        } finally {
          await host.stop();
        }
      }),
      { numRuns: 8 },
    );
  });

  it('removes a damaged version at the next prune, reports it, and lets it count for nothing', async () => {
    const { host, clock, source } = await hostWithVersions(2, HOUR, { last: 1 });
    const [kept] = host.versions('notes.txt');
    await flipByte(kept!.path);
    const report = await host.request('backup.verify', {});
    assert.equal(report.damaged, 1);
    const pruned = collect(host, 'backup.pruned');
    clock.advance(HOUR);
    await writeFile(source, 'v3');
    await host.runBackup();
    assert.deepEqual((await pruned.next()).versionIds, [kept!.id]);
    assert.deepEqual(await contents(host.versions('notes.txt')), ['v3']);
    assert.equal((await readdir(path.dirname(kept!.path))).length, 1);
    await host.stop();
  });

  it('reads a job record written with keep: N (before policies) as { last: N }', async () => {
    const { host, dataDir, source, clock } = await hostWithVersions(1, HOUR);
    await host.stop();
    const shardDir = path.join(dataDir, 'store', 'backup.jobs');
    let rewritten = 0;
    for (const name of (await readdir(shardDir)).filter((entry) => entry.startsWith('shard-'))) {
      const text = await readFile(path.join(shardDir, name), 'utf8');
      if (!text.includes('"retention":{}')) continue;
      // As the old code wrote it, minus the digest (records from before digests are accepted as they are).
      await writeFile(path.join(shardDir, name), text.replace('"retention":{}', '"keep":2').replace(/,"digest":"[0-9a-f]{64}"/, ''));
      rewritten++;
    }
    assert.equal(rewritten, 1);
    const resumed = await startTestHost(dataDir, { retentionTimeZone: 'utc' }, clock);
    assert.deepEqual(resumed.host.jobs().map((job) => [job.id, job.retention]), [['notes.txt', { last: 2 }]]);
    for (let n = 2; n <= 4; n++) {
      clock.advance(HOUR);
      await writeFile(source, `v${n}`);
      await resumed.host.runBackup();
    }
    assert.deepEqual(await contents(resumed.host.versions('notes.txt')), ['v3', 'v4']);
    await resumed.host.stop();
  });

  it('takes keep: N in a job spec as shorthand for { last: N }', async () => {
    const root = await tempDir('retention');
    const source = await writeSource(root, 'notes.txt', 'x');
    const { host } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: MAX_INTERVAL_MS, keep: 4 }] });
    assert.deepEqual(host.jobs()[0]?.retention, { last: 4 });
    await host.stop();
  });
});
