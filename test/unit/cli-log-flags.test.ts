import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HELP, parseCli } from '../../src/cli/cli-options.ts';
import { parseConfigured } from '../../src/cli/configured-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';

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

/** The log level from the command line `args` over `env` and a config file holding `file` (none when null). */
async function levelWith(args: string[], env: Record<string, string>, file: Record<string, unknown> | null): Promise<string> {
  const dir = await tempDir('cli-log-level');
  const configArgs: string[] = [];
  if (file !== null) {
    await writeFile(path.join(dir, 'safekeep.json'), JSON.stringify(file));
    configArgs.push('--config', path.join(dir, 'safekeep.json'));
  }
  const parsed = parseConfigured([...configArgs, ...args], dir, env);
  if (parsed.kind !== 'run') assert.fail(`expected a run, got ${JSON.stringify(parsed)}`);
  return parsed.config.log.level;
}

describe('--verbose and --log-level from the command line, the environment and the config file', () => {
  // Regression: --verbose on the command line used to lose to SAFEKEEP_LOG_LEVEL and the file's logLevel.
  it('lets a command-line --verbose beat SAFEKEEP_LOG_LEVEL and the file’s logLevel (flags > env > file)', async () => {
    assert.equal(await levelWith(['--verbose'], { SAFEKEEP_LOG_LEVEL: 'warn' }, null), 'debug');
    assert.equal(await levelWith(['--verbose'], {}, { logLevel: 'error' }), 'debug');
    assert.equal(await levelWith(['--verbose'], { SAFEKEEP_LOG_LEVEL: 'warn' }, { logLevel: 'error' }), 'debug');
  });

  it('lets a command-line --log-level beat --verbose wherever that came from', async () => {
    assert.equal(await levelWith(['--verbose', '--log-level', 'warn'], {}, null), 'warn');
    assert.equal(await levelWith(['--log-level', 'warn'], { SAFEKEEP_VERBOSE: '1' }, null), 'warn');
    assert.equal(await levelWith(['--log-level', 'warn'], {}, { verbose: true }), 'warn');
  });

  it('lets the environment beat the file, and the explicit level win within one layer', async () => {
    assert.equal(await levelWith([], { SAFEKEEP_VERBOSE: '1' }, { logLevel: 'error' }), 'debug');
    assert.equal(await levelWith([], { SAFEKEEP_LOG_LEVEL: 'error' }, { verbose: true }), 'error');
    assert.equal(await levelWith([], { SAFEKEEP_VERBOSE: 'yes', SAFEKEEP_LOG_LEVEL: 'warn' }, null), 'warn');
    assert.equal(await levelWith([], {}, { verbose: true, logLevel: 'warn' }), 'warn');
    assert.equal(await levelWith([], {}, { verbose: true }), 'debug');
    assert.equal(await levelWith([], { SAFEKEEP_LOG_LEVEL: 'warn' }, null), 'warn');
  });

  it('leaves the level alone when a nearer layer says verbose is off', async () => {
    assert.equal(await levelWith([], { SAFEKEEP_VERBOSE: '0' }, { logLevel: 'trace' }), 'trace');
    assert.equal(await levelWith([], { SAFEKEEP_VERBOSE: 'off' }, null), 'info');
  });

  it('still refuses a mistyped level that --verbose overrides, naming where it was written', async () => {
    const parsed = parseConfigured(['--verbose'], await tempDir('cli-log-level'), { SAFEKEEP_LOG_LEVEL: 'verbos' });
    assert.equal(parsed.kind, 'error');
    if (parsed.kind === 'error') assert.equal(parsed.message, "SAFEKEEP_LOG_LEVEL: 'verbos' is not one of trace, debug, info, warn, error, fatal, silent");
  });
});
