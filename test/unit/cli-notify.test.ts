import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HELP, parseCli } from '../../src/cli/cli-options.ts';

const notifyOf = (...args: string[]) => {
  const parsed = parseCli(args, '/tmp');
  return parsed.kind === 'run' ? parsed.config.notify : parsed;
};

describe('--on-failure, --webhook, --heartbeat', () => {
  it('tell nobody by default', () => {
    assert.deepEqual(notifyOf(), {});
  });

  it('take a shell command and http(s) URLs as given', () => {
    assert.deepEqual(notifyOf('--on-failure', 'mail -s "safekeep: $SAFEKEEP_JOB" ops', '--webhook', 'https://hooks.example.com/T/B/x', '--heartbeat', 'http://127.0.0.1:8000/ping/abc'), {
      onFailure: 'mail -s "safekeep: $SAFEKEEP_JOB" ops',
      webhookUrl: 'https://hooks.example.com/T/B/x',
      heartbeatUrl: 'http://127.0.0.1:8000/ping/abc',
    });
  });

  const bad: [string[], RegExp][] = [
    [['--on-failure', ' '], /--on-failure needs a command/],
    [['--webhook', 'hooks.example.com/secret-token'], /--webhook is not a URL/],
    [['--webhook', 'ftp://files.example.com/secret-token'], /--webhook must be an http:\/\/ or https:\/\/ URL, not a ftp: one/],
    [['--heartbeat', 'file:///etc/secret-token'], /--heartbeat must be an http/],
    [['--heartbeat', ''], /--heartbeat is not a URL/],
  ];
  for (const [args, reason] of bad) {
    it(`refuses ${args.join(' ')} with a reason that does not repeat the URL`, () => {
      const parsed = parseCli(args, '/tmp');
      assert.equal(parsed.kind, 'error');
      if (parsed.kind !== 'error') return;
      assert.match(parsed.message, reason);
      assert.ok(!parsed.message.includes('secret-token'), parsed.message);
    });
  }

  it('are in the help', () => {
    assert.match(HELP, /--on-failure CMD/);
    assert.match(HELP, /--webhook URL/);
    assert.match(HELP, /--heartbeat URL/);
  });
});
