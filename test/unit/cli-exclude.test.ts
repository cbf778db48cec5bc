import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { HELP, parseCli } from '../../src/cli/cli-options.ts';
import { excludeMatcher } from '../../src/backup/snapshot-excludes.ts';

describe('--exclude on the command line', () => {
  it('is repeatable and kept in order', () => {
    const parsed = parseCli(['--source', 'photos', '--exclude', '*.tmp', '--exclude', 'cache/'], '/tmp');
    assert.equal(parsed.kind, 'run');
    assert.deepEqual(parsed.kind === 'run' && parsed.config.excludes, ['*.tmp', 'cache/']);
  });

  it('is empty when not given', () => {
    const parsed = parseCli(['--source', 'photos'], '/tmp');
    assert.deepEqual(parsed.kind === 'run' && parsed.config.excludes, []);
  });

  for (const bad of ['', '   ', '/', '//']) {
    it(`refuses '${bad}' with a message that says what a glob looks like`, () => {
      const parsed = parseCli(['--source', 'photos', '--exclude', bad], '/tmp');
      assert.equal(parsed.kind, 'error');
      assert.match(parsed.kind === 'error' ? parsed.message : '', /--exclude needs a glob/);
    });
  }

  it('is in --help', () => {
    assert.match(HELP, /--exclude GLOB/);
    assert.match(HELP, /--source PATH +File or folder/);
  });
});

describe('exclude globs (relative to the source root, gitignore rules)', () => {
  const cases: [patterns: string[], relative: string, isDirectory: boolean, excluded: boolean][] = [
    [['*.log'], 'a.log', false, true],
    [['*.log'], 'deep/down/a.log', false, true],
    [['*.log'], '.hidden.log', false, true],
    [['*.log'], 'a.log.txt', false, false],
    [['cache/'], 'x/cache', true, true],
    [['cache/'], 'x/cache', false, false],
    [['build/*.o'], 'build/a.o', false, true],
    [['build/*.o'], 'sub/build/a.o', false, false],
    [['build/*.o'], 'build/sub/a.o', false, false],
    [['/top'], 'top', false, true],
    [['/top'], 'sub/top', false, false],
    [['**/tmp'], 'a/b/tmp', true, true],
    [['node_modules'], 'app/node_modules', true, true],
    [['file?.txt'], 'file1.txt', false, true],
    [['file?.txt'], 'dir/file/.txt', false, false],
  ];
  for (const [patterns, relative, isDirectory, excluded] of cases) {
    it(`${excluded ? 'leaves out' : 'keeps'} ${isDirectory ? 'folder' : 'file'} ${relative} for ${patterns.join(' ')}`, () => {
      assert.equal(excludeMatcher(patterns)(relative, isDirectory), excluded);
    });
  }
});
