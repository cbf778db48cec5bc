import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MAX_INTERVAL_MS } from '../../src/backup/interval.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { collect, startTestHost, writeSource } from '../helpers/host-harness.ts';
import { TestClient } from '../helpers/test-client.ts';
import { JsonClient } from '../helpers/json-client.ts';

const DAY = 24 * 3_600_000;

/** A served host whose job notes.txt has five versions, one a day, and no policy of its own. */
async function servedHostWithFiveVersions() {
  const root = await tempDir('forget-socket');
  const source = await writeSource(root, 'notes.txt', 'v1');
  const { host, clock } = await startTestHost(path.join(root, 'data'), {
    jobs: [{ sourcePath: source, intervalMs: MAX_INTERVAL_MS }],
    socket: { host: '127.0.0.1', port: 0 },
    retentionTimeZone: 'utc',
  });
  const completed = collect(host, 'backup.completed');
  clock.advance(0);
  await completed.next();
  for (let n = 2; n <= 5; n++) {
    clock.advance(DAY);
    await writeFile(source, `v${n}`);
    await host.runBackup();
  }
  return { host, port: host.address!.port, source };
}

describe('forget over the text dialect', () => {
  it('removes what the given policy does not keep, and says so line by line; a dry run removes nothing', async () => {
    const { host, port } = await servedHostWithFiveVersions();
    const ids = host.versions('notes.txt').map((version) => version.id);
    const client = await TestClient.connect(port);

    client.send('forget notes.txt --keep-last 2 --dry-run\n');
    assert.deepEqual(await client.lines(4), [
      'Would remove 3 versions:',
      'notes.txt@3 2026-11-26T09:00:00.000Z not-kept',
      'notes.txt@2 2026-11-25T09:00:00.000Z not-kept',
      'notes.txt@1 2026-11-24T09:00:00.000Z not-kept',
    ]);
    assert.deepEqual(host.versions('notes.txt').map((version) => version.id), ids, 'a dry run removes nothing');

    client.send('FORGET notes.txt --keep-daily 1 --keep-last=2\n');
    assert.deepEqual(await client.lines(4), [
      'Removed 3 versions:',
      'notes.txt@3 2026-11-26T09:00:00.000Z not-kept',
      'notes.txt@2 2026-11-25T09:00:00.000Z not-kept',
      'notes.txt@1 2026-11-24T09:00:00.000Z not-kept',
    ]);
    assert.deepEqual(host.versions('notes.txt').map((version) => version.id), ['notes.txt@4', 'notes.txt@5']);

    client.send('forget notes.txt\n');
    assert.deepEqual(await client.lines(1), ['Removed 0 versions.'], "the job's own policy (none) keeps everything");
    client.send('revert\n');
    assert.deepEqual(await client.lines(1), [host.newestVersion()!.path]);
    client.destroy();
    await host.stop();
  });

  it('answers a bare request bare, and a single version in the singular', async () => {
    const { host, port } = await servedHostWithFiveVersions();
    const client = await TestClient.connect(port);
    client.send('forget notes.txt --keep-last 4');
    assert.equal(await client.recv(), 'Removed 1 version:\nnotes.txt@1 2026-11-24T09:00:00.000Z not-kept');
    client.destroy();
    await host.stop();
  });

  it('refuses malformed forms with a reason, removes nothing, and goes on serving the connection', async () => {
    const { host, port } = await servedHostWithFiveVersions();
    const client = await TestClient.connect(port);
    const cases: [string, string | RegExp][] = [
      ['forget', "Error (INVALID_FIELD): 'forget' needs a job: forget JOB [--keep-last N …] [--dry-run]"],
      ['forget --keep-last 2', "Invalid request command 'forget --keep-last 2' sent."],
      ['forget notes.txt --keep-bogus 2', "Invalid request command 'forget notes.txt --keep-bogus 2' sent."],
      ['forget notes.txt another.txt', "Invalid request command 'forget notes.txt another.txt' sent."],
      ['forget notes.txt --dry-run --dry-run', "Invalid request command 'forget notes.txt --dry-run --dry-run' sent."],
      ['forget nope --keep-last 1', "Error (UNKNOWN_JOB): There is no backup job 'nope'"],
      ['forget notes.txt --keep-last -1', /^Error \(INVALID_RETENTION_POLICY\): --keep-last '-1' is not a whole number from 1/],
      ['forget notes.txt --keep-last 0', /^Error \(INVALID_RETENTION_POLICY\): --keep-last '0'/],
      ['forget notes.txt --keep-daily 1.5', /^Error \(INVALID_RETENTION_POLICY\): --keep-daily '1.5'/],
      ['forget notes.txt --keep-weekly many', /^Error \(INVALID_RETENTION_POLICY\): --keep-weekly 'many'/],
      ['forget notes.txt --keep-monthly 99999999', /^Error \(INVALID_RETENTION_POLICY\): --keep-monthly '99999999'/],
      ['forget notes.txt --keep-yearly', /^Error \(INVALID_RETENTION_POLICY\): --keep-yearly needs a whole number/],
      ['forget notes.txt --keep 1 --keep-last 2', /^Error \(INVALID_RETENTION_POLICY\): --keep-last is given twice/],
    ];
    for (const [request, expected] of cases) {
      client.send(`${request}\n`);
      const [line = ''] = await client.lines(1);
      if (typeof expected === 'string') assert.equal(line, expected, request);
      else assert.match(line, expected, request);
    }
    assert.equal(host.versions('notes.txt').length, 5);
    client.send('verify\n');
    assert.deepEqual(await client.lines(1), ['Verified 5 versions: 0 damaged.']);
    client.destroy();
    await host.stop();
  });
});

describe('forget over the JSON dialect', () => {
  it('answers backup.forget with the report: what was removed, what was kept and why', async () => {
    const { host, port, source } = await servedHostWithFiveVersions();
    const client = await JsonClient.connect(port);
    const planned = await client.call({ type: 'backup.forget', id: 'a', job: 'notes.txt', policy: { last: 1, daily: 2 }, dryRun: true });
    assert.equal(planned.id, 'a');
    assert.equal(planned.type, 'backup.forget');
    assert.equal(planned.ok, true);
    assert.deepEqual(planned.result.kept, [
      { versionId: 'notes.txt@5', createdAt: Date.parse('2026-11-28T09:00:00Z'), reasons: [{ rule: 'last', period: '1' }, { rule: 'daily', period: '2026-11-28' }] },
      { versionId: 'notes.txt@4', createdAt: Date.parse('2026-11-27T09:00:00Z'), reasons: [{ rule: 'daily', period: '2026-11-27' }] },
    ]);
    assert.deepEqual(planned.result.removed.map((removed: { versionId: string }) => removed.versionId), ['notes.txt@3', 'notes.txt@2', 'notes.txt@1']);
    assert.equal(planned.result.dryRun, true);
    assert.equal(host.versions('notes.txt').length, 5);

    const done = await client.ok({ type: 'backup.forget', job: source, policy: { last: 1, daily: 2 } });
    assert.equal(done.dryRun, false);
    assert.deepEqual(done.removed, planned.result.removed);
    assert.deepEqual(host.versions('notes.txt').map((version) => version.id), ['notes.txt@4', 'notes.txt@5']);
    client.close();
    await host.stop();
  });

  it('refuses wrong field types, unknown fields and unknown jobs with their codes, and removes nothing', async () => {
    const { host, port } = await servedHostWithFiveVersions();
    const client = await JsonClient.connect(port);
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'INVALID_FIELD'],
      [{ job: 7 }, 'INVALID_FIELD'],
      [{ job: '' }, 'INVALID_FIELD'],
      [{ job: 'notes.txt', dryRun: 'yes' }, 'INVALID_FIELD'],
      [{ job: 'notes.txt', keepLast: 2 }, 'INVALID_FIELD'],
      [{ job: 'nope' }, 'UNKNOWN_JOB'],
      [{ job: 'notes.txt', policy: 'last 2' }, 'INVALID_RETENTION_POLICY'],
      [{ job: 'notes.txt', policy: [2] }, 'INVALID_RETENTION_POLICY'],
      [{ job: 'notes.txt', policy: { last: -1 } }, 'INVALID_RETENTION_POLICY'],
      [{ job: 'notes.txt', policy: { last: 0 } }, 'INVALID_RETENTION_POLICY'],
      [{ job: 'notes.txt', policy: { daily: 1.5 } }, 'INVALID_RETENTION_POLICY'],
      [{ job: 'notes.txt', policy: { daily: '7' } }, 'INVALID_RETENTION_POLICY'],
      [{ job: 'notes.txt', policy: { fortnightly: 2 } }, 'INVALID_RETENTION_POLICY'],
    ];
    for (const [fields, code] of cases) {
      const reply = await client.call({ type: 'backup.forget', id: 1, ...fields });
      assert.equal(reply.type, 'backup.forget', JSON.stringify(fields));
      assert.equal(reply.ok, false, JSON.stringify(fields));
      assert.equal(reply.error.code, code, JSON.stringify(fields));
    }
    assert.equal(host.versions('notes.txt').length, 5);
    assert.equal((await client.call({ type: 'users.count' })).ok, true, 'the connection still works');
    client.close();
    await host.stop();
  });
});
