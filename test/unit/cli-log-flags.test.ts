import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HELP, parseCli } from '../../src/cli/cli-options.ts';

const logOf = (...args: string[]) => {
  const parsed = parseCli(args, '/srv');
  return parsed.kind === 'run' ? parsed.config.log : parsed;
};

describe('--log-format, --log-level, --log-file', () => {
  it('default to info with the format left to the host (pretty on stderr, JSON in a file)', () => {
    assert.deepEqual(logOf(), { level: 'info' });
  });

  it('take json or pretty, every pino level, and a file path resolved from where the command ran', () => {
    assert.deepEqual(logOf('--log-format', 'json', '--log-level', 'trace', '--log-file', 'logs/safekeep.log'), { format: 'json', level: 'trace', file: '/srv/logs/safekeep.log' });
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']) assert.deepEqual(logOf('--log-level', level), { level });
    assert.deepEqual(logOf('--log-format', 'pretty', '--log-file', '/var/log/s.log'), { format: 'pretty', level: 'info', file: '/var/log/s.log' });
  });

  it('read --verbose as --log-level debug, and let an explicit --log-level win', () => {
    assert.deepEqual(logOf('--verbose'), { level: 'debug' });
    assert.deepEqual(logOf('--verbose', '--log-level', 'trace'), { level: 'trace' });
  });

  for (const [args, message] of [
    [['--log-format', 'xml'], /--log-format 'xml' is not json or pretty/],
    [['--log-format', 'JSON'], /--log-format 'JSON' is not json or pretty/],
    [['--log-level', 'verbose'], /--log-level 'verbose' is not one of trace, debug, info, warn, error, fatal, silent/],
    [['--log-level', ''], /--log-level '' is not one of/],
    [['--log-file', ' '], /--log-file needs a file path/],
    [['--log-file'], /--log-file/],
  ] as const) {
    it(`refuses ${JSON.stringify(args.join(' '))} with a reason`, () => {
      const parsed = parseCli(args, '/srv');
      assert.equal(parsed.kind, 'error');
      if (parsed.kind === 'error') assert.match(parsed.message, message);
    });
  }

  it('are in the help', () => {
    assert.match(HELP, /--log-format FORMAT/);
    assert.match(HELP, /--log-level LEVEL/);
    assert.match(HELP, /--log-file PATH/);
    assert.match(HELP, /--verbose\s+Same as --log-level debug/);
  });
});
