import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startReceiver } from '../helpers/http-receiver.ts';
import { MAIN, run, spawnSafekeep, TSX } from '../helpers/safekeep-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

describe('safekeep --on-failure --webhook (a real process)', () => {
  it('tells the command and the webhook when a source is missing', async () => {
    const root = await tempDir('notify-cli');
    const receiver = await startReceiver();
    const said = path.join(root, 'said');
    const service = spawnSafekeep(
      [
        '--source', path.join(root, 'missing.txt'),
        '--data-dir', path.join(root, 'data'),
        '--port', '0',
        '--on-failure', `printf '%s %s' "$SAFEKEEP_EVENT" "$SAFEKEEP_JOB" > '${said}.tmp' && mv '${said}.tmp' '${said}'`,
        '--webhook', receiver.url('/hook/t0ken'),
      ],
      root,
    );
    const posted = await receiver.next();
    assert.equal((JSON.parse(posted.body) as { event: string; job: string }).job, 'missing.txt');
    await service.waitFor('stderr', /\[missing\.txt\] failed/);
    assert.deepEqual(await service.stop(), { code: 0, signal: null }, service.stderr);
    // The stop waits for notifications under way, so the command has finished by now.
    assert.equal(await readFile(said, 'utf8'), 'backup.failed missing.txt');
    await receiver.close();
  });

  it('refuses a webhook that is not an http(s) URL, without printing it', async () => {
    const root = await tempDir('notify-cli');
    const refused = await run(process.execPath, ['--import', TSX, MAIN, '--webhook', 'smtp://ops:s3cret@mail.example.com', '--data-dir', root], { cwd: root });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /--webhook must be an http:\/\/ or https:\/\/ URL/);
    assert.ok(!refused.stderr.includes('s3cret'));
  });
});
