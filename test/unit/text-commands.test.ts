import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCli } from '../../src/cli/cli-options.ts';
import { textCommand } from '../../src/protocol/text-commands.ts';

describe('the text grammar of the backup operations', () => {
  it('reads each word, case-insensitively, with its optional job and version', () => {
    assert.deepEqual(textCommand('STATUS'), { kind: 'backup.status' });
    assert.deepEqual(textCommand('versions'), { kind: 'backup.versions', job: null });
    assert.deepEqual(textCommand('revert'), { kind: 'backup.revert', job: null }, 'the seed word, exactly as before');
    assert.deepEqual(textCommand('revert notes.json notes.json@12'), { kind: 'backup.revert', job: 'notes.json', version: 'notes.json@12' });
    assert.deepEqual(textCommand('pause notes.json'), { kind: 'job.pause', job: 'notes.json' });
    assert.deepEqual(textCommand('Resume'), { kind: 'job.resume', job: null });
    assert.deepEqual(textCommand('remove notes.json FORGET'), { kind: 'job.remove', job: 'notes.json', forget: true });
  });

  it("takes restore's target and add's path to the end of the line, spaces and all", () => {
    assert.deepEqual(textCommand('restore notes.json'), { kind: 'backup.restore', job: 'notes.json' });
    assert.deepEqual(textCommand('restore notes.json newest'), { kind: 'backup.restore', job: 'notes.json' });
    assert.deepEqual(textCommand('restore notes.json 3 /home/ann/old  notes.json '), { kind: 'backup.restore', job: 'notes.json', version: '3', target: '/home/ann/old  notes.json' });
    assert.deepEqual(textCommand('add /home/ann/my notes.txt'), { kind: 'job.add', spec: { sourcePath: '/home/ann/my notes.txt' } }, 'no interval: an update keeps its own');
    assert.deepEqual(textCommand('add /home/ann/my notes.txt 90'), { kind: 'job.add', spec: { sourcePath: '/home/ann/my notes.txt', intervalMs: 90_000 } });
    assert.deepEqual(textCommand('add /home/ann/notes.txt 5m'), { kind: 'job.add', spec: { sourcePath: '/home/ann/notes.txt', intervalMs: 300_000 } });
    assert.throws(() => textCommand('add 5m'), /'source' must be an absolute path/, 'one word is always the path');
  });

  it('is no request for a wrong number of words or a word not in its form', () => {
    for (const line of ['status x', 'versions a b', 'remove a b', 'restore a b', 'pause a b', 'revert a b c']) {
      assert.equal(textCommand(line), null, line);
    }
    for (const line of ['remove', 'restore', 'add', 'forget']) assert.throws(() => textCommand(line), /needs a/, `${line} names what it misses`);
  });
});

describe('--allow', () => {
  it('is repeatable, resolved against the working directory, and refused empty', () => {
    const parsed = parseCli(['--allow', 'a', '--allow', '/srv/b'], '/home/ann');
    assert.equal(parsed.kind, 'run');
    assert.deepEqual(parsed.kind === 'run' ? parsed.config.allowedPaths : null, ['/home/ann/a', '/srv/b']);
    assert.deepEqual(parseCli(['--allow', ' '], '/home/ann'), { kind: 'error', message: '--allow needs a directory' });
    const none = parseCli([], '/home/ann');
    assert.deepEqual(none.kind === 'run' ? none.config.allowedPaths : null, []);
  });
});
