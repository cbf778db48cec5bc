import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HELP, parseCli } from '../../src/cli/cli-options.ts';

const checkpointBytesOf = (...args: string[]) => {
  const parsed = parseCli(args, '/tmp');
  return parsed.kind === 'run' ? parsed.config.checkpointLogBytes : parsed.kind;
};

describe('--checkpoint-bytes', () => {
  it("leaves the store's default (16 MiB) when not given", () => {
    assert.equal(checkpointBytesOf(), undefined);
  });

  it('takes a whole number of bytes', () => {
    assert.equal(checkpointBytesOf('--checkpoint-bytes', '4096'), 4096);
    assert.equal(checkpointBytesOf('--checkpoint-bytes', '1'), 1);
  });

  for (const bad of ['0', '-1', '4k', '1.5', '', 'lots', String(2 ** 41)]) {
    it(`refuses ${JSON.stringify(bad)} with a reason`, () => {
      const parsed = parseCli(['--checkpoint-bytes', bad], '/tmp');
      assert.equal(parsed.kind, 'error');
      if (parsed.kind === 'error') assert.match(parsed.message, /checkpoint-bytes/);
    });
  }

  it('is in the help', () => {
    assert.match(HELP, /--checkpoint-bytes N/);
  });
});
