import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HELP, parseCli } from '../../src/cli/cli-options.ts';

const retentionOf = (...args: string[]) => {
  const parsed = parseCli(args, '/tmp');
  return parsed.kind === 'run' ? parsed.config.retention : parsed.kind === 'error' ? `error: ${parsed.message}` : parsed.kind;
};

describe('--keep-* retention flags', () => {
  it('keeps every version without any', () => {
    assert.deepEqual(retentionOf('--source', 'a.txt'), {});
  });

  it('takes each rule, together, for the sources on the command line', () => {
    assert.deepEqual(
      retentionOf('--source', 'a.txt', '--keep-last', '3', '--keep-hourly', '24', '--keep-daily', '7', '--keep-weekly', '4', '--keep-monthly', '12', '--keep-yearly', '5'),
      { last: 3, hourly: 24, daily: 7, weekly: 4, monthly: 12, yearly: 5 },
    );
  });

  it('takes --keep N as --keep-last N, as before', () => {
    assert.deepEqual(retentionOf('--keep', '10'), { last: 10 });
    assert.deepEqual(retentionOf('--keep=2', '--keep-daily=7'), { last: 2, daily: 7 });
  });

  for (const [args, reason] of [
    [['--keep-daily', '0'], /--keep-daily '0' is not a whole number from 1/],
    [['--keep-daily', '-3'], /--keep-daily '-3'/],
    [['--keep-weekly', '2.5'], /--keep-weekly '2.5'/],
    [['--keep-monthly', 'lots'], /--keep-monthly 'lots'/],
    [['--keep', '3', '--keep-last', '4'], /--keep-last is given twice/],
    [['--keep-fortnightly', '2'], /Unknown option '--keep-fortnightly'/],
  ] as const) {
    it(`refuses ${args.join(' ')} with a reason`, () => {
      assert.match(String(retentionOf(...args)), reason);
    });
  }

  it('is in the help', () => {
    for (const flag of ['--keep-last N', '--keep-hourly N', '--keep-daily N', '--keep-weekly N', '--keep-monthly N', '--keep-yearly N', '--keep N']) assert.ok(HELP.includes(flag), flag);
  });
});
