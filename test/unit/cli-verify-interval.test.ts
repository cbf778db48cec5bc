import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HELP, parseCli } from '../../src/cli/cli-options.ts';

const verifyIntervalOf = (...args: string[]) => {
  const parsed = parseCli(args, '/tmp');
  return parsed.kind === 'run' ? parsed.config.verifyIntervalMs : parsed.kind;
};

describe('--verify-interval', () => {
  it('defaults to a full pass a day', () => {
    assert.equal(verifyIntervalOf(), 24 * 60 * 60_000);
  });

  it('takes a time like --interval, and 0 or off to turn the scrub off', () => {
    assert.equal(verifyIntervalOf('--verify-interval', '12h'), 12 * 60 * 60_000);
    assert.equal(verifyIntervalOf('--verify-interval', '0'), 0);
    assert.equal(verifyIntervalOf('--verify-interval', 'OFF'), 0);
  });

  for (const bad of ['-1', 'soon', '', '1y']) {
    it(`refuses ${JSON.stringify(bad)} with a reason`, () => {
      const parsed = parseCli(['--verify-interval', bad], '/tmp');
      assert.equal(parsed.kind, 'error');
      if (parsed.kind === 'error') assert.match(parsed.message, /verify-interval/);
    });
  }

  it('is in the help', () => {
    assert.match(HELP, /--verify-interval TIME/);
  });
});
