import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BUILT_ARGV, SafekeepProcess } from '../helpers/safekeep-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { TestClient } from '../helpers/test-client.ts';

describe('a log file on a full disk (--log-file /dev/full), on the built command', () => {
  // Regression: the first record's ENOSPC was rethrown by RxJS from a timer and the service exited 1 right after starting.
  it('starts, backs up and answers, and says once on stderr that log records are being dropped', async () => {
    const root = await tempDir('log-full');
    await writeFile(path.join(root, 'notes.txt'), 'hello');
    const service = new SafekeepProcess(['--source', 'notes.txt', '--interval', '1h', '--port', '0', '--log-level', 'debug', '--log-file', '/dev/full'], root, [], BUILT_ARGV);
    try {
      const port = await service.port();
      const client = await TestClient.connect(port);
      client.send('backup\n');
      assert.deepEqual(await client.lines(1), ['Backup completed']);
      client.send('status\n');
      assert.match((await client.lines(1))[0] ?? '', /^1 job; safekeep /);
      client.destroy();
    } finally {
      const exit = await service.stop();
      assert.equal(exit.code, 0, service.stderr);
    }
    const notices = service.stderr.split('\n').filter((line) => line.includes('log records'));
    assert.deepEqual(notices, ['safekeep: cannot write the log file /dev/full (ENOSPC): dropping log records until it can']);
    assert.doesNotMatch(service.stderr, /Error: ENOSPC|at .*\.js:\d+/);
  });
});
