import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { InvalidRetentionPolicyError, UnknownJobError } from '../../src/backup/errors.ts';
import { MAX_INTERVAL_MS } from '../../src/backup/interval.ts';
import { InvalidFieldError } from '../../src/book/errors.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { collect, startTestHost, writeSource } from '../helpers/host-harness.ts';

const HOUR = 3_600_000;

async function hostWithFourVersions(retention = {}) {
  const root = await tempDir('host-forget');
  const source = await writeSource(root, 'notes.txt', 'v1');
  const { host, clock } = await startTestHost(path.join(root, 'data'), { jobs: [{ sourcePath: source, intervalMs: MAX_INTERVAL_MS, retention }], retentionTimeZone: 'utc', allowedPaths: [root] });
  const completed = collect(host, 'backup.completed');
  clock.advance(0);
  await completed.next();
  for (let n = 2; n <= 4; n++) {
    clock.advance(HOUR);
    await writeFile(source, `v${n}`);
    await host.runBackup();
  }
  return { host, source };
}

describe("host.request('backup.forget')", () => {
  it("applies the job's own policy when none is given, and reports it with backup.pruned", async () => {
    const { host, source } = await hostWithFourVersions();
    await host.addJob({ sourcePath: source, intervalMs: MAX_INTERVAL_MS, retention: { hourly: 2 } });
    const pruned = collect(host, 'backup.pruned');
    const report = await host.request('backup.forget', { job: 'notes.txt' });
    assert.deepEqual(report.policy, { hourly: 2 });
    assert.deepEqual(report.kept.map((kept) => [kept.versionId, kept.reasons]), [
      ['notes.txt@4', [{ rule: 'hourly', period: '2026-11-24T12' }]],
      ['notes.txt@3', [{ rule: 'hourly', period: '2026-11-24T11' }]],
    ]);
    assert.deepEqual(report.removed.map((removed) => [removed.versionId, removed.reason]), [['notes.txt@2', 'not-kept'], ['notes.txt@1', 'not-kept']]);
    assert.deepEqual((await pruned.next()).versionIds, ['notes.txt@2', 'notes.txt@1']);
    assert.deepEqual(host.versions('notes.txt').map((version) => version.id), ['notes.txt@3', 'notes.txt@4']);
    await host.stop();
  });

  it("takes a policy for this once without changing the job's, and a dry run that removes nothing", async () => {
    const { host } = await hostWithFourVersions({ last: 3 });
    const dry = await host.request('backup.forget', { job: 'notes.txt', policy: { last: 1 }, dryRun: true });
    assert.equal(dry.dryRun, true);
    assert.equal(dry.removed.length, 2);
    assert.equal(host.versions('notes.txt').length, 3, 'the job kept 3 as it went; the dry run removed none');
    const done = await host.request('backup.forget', { job: 'notes.txt', policy: { last: 1 } });
    assert.deepEqual(done.removed.map((removed) => removed.versionId), ['notes.txt@3', 'notes.txt@2']);
    assert.deepEqual(host.jobs()[0]?.retention, { last: 3 });
    await host.stop();
  });

  it('refuses malformed requests with the same errors as the socket, and removes nothing', async () => {
    const { host } = await hostWithFourVersions();
    const send = (params: unknown) => (host.request as (name: string, params: unknown) => Promise<unknown>)('backup.forget', params);
    const cases: [unknown, new (message: string) => Error, RegExp][] = [
      [{}, InvalidFieldError, /'job'/],
      [{ job: 3 }, InvalidFieldError, /'job'/],
      [{ job: 'notes.txt', dryRun: 1 }, InvalidFieldError, /'dryRun'/],
      [{ job: 'nope' }, UnknownJobError, /no backup job 'nope'/],
      [{ job: 'notes.txt', policy: { last: -2 } }, InvalidRetentionPolicyError, /'policy.last' must be a whole number from 1/],
      [{ job: 'notes.txt', policy: { weekly: Number.NaN } }, InvalidRetentionPolicyError, /'policy.weekly'/],
      [{ job: 'notes.txt', policy: { daily: 7, every: 1 } }, InvalidRetentionPolicyError, /no rule 'every'/],
      [{ job: 'notes.txt', policy: 5 }, InvalidRetentionPolicyError, /'policy' must be an object/],
    ];
    for (const [params, ErrorClass, message] of cases) {
      await assert.rejects(send(params), (error: unknown) => error instanceof ErrorClass && message.test((error as Error).message), JSON.stringify(params));
    }
    assert.equal(host.versions('notes.txt').length, 4);
    await host.stop();
  });
});

describe("host.request('job.add') with a retention policy", () => {
  it('takes retention, or keep as shorthand for last, and refuses a bad policy or both at once', async () => {
    const root = await tempDir('host-forget');
    const source = await writeSource(root, 'notes.txt', 'x');
    const { host } = await startTestHost(path.join(root, 'data'), { allowedPaths: [root] });
    assert.deepEqual((await host.request('job.add', { sourcePath: source, intervalMs: HOUR, retention: { daily: 7, weekly: 4 } })).job.retention, { daily: 7, weekly: 4 });
    assert.deepEqual((await host.request('job.add', { sourcePath: source, intervalMs: HOUR, keep: 3 })).job.retention, { last: 3 });
    // Left out, the policy stays as it is; `keep: null` says to keep every version.
    assert.deepEqual((await host.request('job.add', { sourcePath: source, intervalMs: HOUR })).job.retention, { last: 3 });
    assert.deepEqual((await host.request('job.add', { sourcePath: source, intervalMs: HOUR, keep: null })).job.retention, {});
    const send = (params: unknown) => (host.request as (name: string, params: unknown) => Promise<unknown>)('job.add', params);
    await assert.rejects(send({ sourcePath: source, intervalMs: HOUR, retention: { daily: 0 } }), InvalidRetentionPolicyError);
    await assert.rejects(send({ sourcePath: source, intervalMs: HOUR, retention: { last: 2 }, keep: 2 }), InvalidFieldError);
    await host.stop();
  });
});
