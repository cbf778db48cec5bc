import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { BackupCompleted, BackupFailed, BackupVersionDamaged } from '../../src/backup/events.ts';
import { NotifyPolicy } from '../../adapters/notify/notify-policy.ts';

const HOUR = 60 * 60_000;
const failed = (jobId: string, at: number, attempt = 1) => ({ jobId, at, attempt, runId: `r${at}`, error: { code: 'X', message: 'x' }, requestIds: [] }) as BackupFailed;
const completed = (jobId: string, at: number) => ({ jobId, at }) as BackupCompleted;
const damaged = (versionId: string) => ({ versionId, at: 0 }) as BackupVersionDamaged;

describe('when to notify', () => {
  it('tells the first failure of a streak, then reminds hourly while the job keeps failing', () => {
    const policy = new NotifyPolicy();
    assert.equal(policy.shouldNotifyFailure(failed('a', 0)), true);
    assert.equal(policy.shouldNotifyFailure(failed('a', 5_000, 2)), false);
    assert.equal(policy.shouldNotifyFailure(failed('b', 6_000)), true, 'each job has its own streak');
    assert.equal(policy.shouldNotifyFailure(failed('a', HOUR - 1, 9)), false);
    assert.equal(policy.shouldNotifyFailure(failed('a', HOUR, 10)), true, 'an hour on, a reminder');
    assert.equal(policy.shouldNotifyFailure(failed('a', HOUR + 5_000, 11)), false);
  });

  it('starts a new streak after a good run', () => {
    const policy = new NotifyPolicy();
    policy.shouldNotifyFailure(failed('a', 0));
    policy.shouldPingHeartbeat(completed('a', 1_000));
    assert.equal(policy.shouldNotifyFailure(failed('a', 2_000)), true);
  });

  it('tells each damaged version once', () => {
    const policy = new NotifyPolicy();
    assert.equal(policy.shouldNotifyDamage(damaged('v1')), true);
    assert.equal(policy.shouldNotifyDamage(damaged('v1')), false);
    assert.equal(policy.shouldNotifyDamage(damaged('v2')), true);
  });

  it('pings the heartbeat at most once a minute, whichever job ran', () => {
    const policy = new NotifyPolicy();
    assert.equal(policy.shouldPingHeartbeat(completed('a', 0)), true);
    assert.equal(policy.shouldPingHeartbeat(completed('b', 30_000)), false);
    assert.equal(policy.shouldPingHeartbeat(completed('a', 59_999)), false);
    assert.equal(policy.shouldPingHeartbeat(completed('a', 60_000)), true);
  });
});
