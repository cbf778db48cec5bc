import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { commandVariables, noticeOfDamage, noticeOfFailure } from '../../adapters/notify/notice.ts';
import { CLI_OPTIONS } from '../../src/cli/cli-options.ts';
import { variablesRead } from '../../src/cli/config-env.ts';
import { parseConfigured } from '../../src/cli/configured-cli.ts';
import type { BackupFailed, BackupVersionDamaged } from '../../src/backup/events.ts';

const failed: BackupFailed = {
  jobId: 'notes.txt',
  runId: 'run_1',
  attempt: 2,
  at: Date.UTC(2026, 10, 27, 9),
  error: { code: 'SOURCE_NOT_FOUND', message: 'the source is gone', detail: '/srv/notes.txt' },
  requestIds: [],
};
const damaged: BackupVersionDamaged = { jobId: 'notes.txt', versionId: 'v1', reason: 'content-mismatch', path: '/srv/backups/v1', expectedSha256: null, actualSha256: null, at: 0 };
const failure = noticeOfFailure(failed);
const damage = noticeOfDamage(damaged);

describe('the --on-failure command’s variables', () => {
  it('name the host SAFEKEEP_HOSTNAME, not SAFEKEEP_HOST', () => {
    const variables = commandVariables(failure, 'backup-box');
    assert.equal(variables['SAFEKEEP_HOSTNAME'], 'backup-box');
    assert.equal('SAFEKEEP_HOST' in variables, false);
  });

  // Regression: SAFEKEEP_HOST=<hostname> made a hook's `safekeep status` connect to the host name.
  it('are none of the variables safekeep reads as settings, for any flag in the option table', () => {
    const read = new Set(variablesRead(CLI_OPTIONS));
    assert.ok(read.has('SAFEKEEP_HOST') && read.has('SAFEKEEP_PORT') && read.has('SAFEKEEP_CONFIG'), 'the list is the real one');
    for (const notice of [failure, damage]) {
      const clashing = Object.keys(commandVariables(notice, 'backup-box')).filter((name) => read.has(name));
      assert.deepEqual(clashing, [], `a notice variable is also a setting: ${clashing.join(', ')}`);
    }
  });

  it('leave a `safekeep status` run by the command reading the host and port it would read without them', () => {
    const variables = commandVariables(failure, 'backup-box');
    const parsed = parseConfigured([], '/nonexistent-safekeep-dir', variables);
    assert.equal(parsed.kind, 'run');
    if (parsed.kind === 'run') assert.deepEqual([parsed.config.host, parsed.config.port], ['127.0.0.1', 12345]);
  });
});
