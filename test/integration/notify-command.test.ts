import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '../../adapters/notify/run-command.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const options = (overrides: Partial<Parameters<typeof runCommand>[1]> = {}) => ({
  variables: { SAFEKEEP_JOB: 'notes.txt' },
  timeoutMs: 10_000,
  maxOutputBytes: 4096,
  signal: new AbortController().signal,
  ...overrides,
});

describe('the --on-failure command', () => {
  it('resolves with its last output line when it exits 0', async () => {
    assert.equal(await runCommand('echo first; echo "told about $SAFEKEEP_JOB"', options()), 'told about notes.txt');
  });

  it('fails with its exit code and the last line it printed, even past the output bound', async () => {
    await assert.rejects(runCommand('head -c 100000 /dev/zero | tr "\\0" x; echo; echo "smtp: refused" >&2; exit 3', options({ maxOutputBytes: 64 })), {
      name: 'DeliveryError',
      message: 'the command exited with 3; its last output: smtp: refused',
    });
  });

  // Regression: a hook under `set -x` (or `curl -v`) printed its webhook URL, and its last line, token and all, became notify.failed's reason.
  it('cuts every URL in the last line it printed to its origin', async () => {
    await assert.rejects(runCommand('set -x; false "https://hooks.example.com/T0/B1/s3cret-token?key=abc" http://127.0.0.1:9/ping/s3cret-uuid', options()), (error: Error) => {
      assert.match(error.message, /^the command exited with 1; its last output: \+ false https:\/\/hooks\.example\.com http:\/\/127\.0\.0\.1:9$/);
      return true;
    });
    assert.equal(await runCommand('echo "pinged https://hc-ping.com/s3cret-uuid."', options()), 'pinged https://hc-ping.com.');
  });

  it('drops the start of a last line cut off by the output bound, so the tail of a URL cannot pass for text', async () => {
    const long = `https://hooks.example.com/${'s3cret'.repeat(20)}/tail`;
    await assert.rejects(runCommand(`echo "${long} refused"; exit 2`, options({ maxOutputBytes: 64 })), (error: Error) => {
      assert.equal(error.message, 'the command exited with 2; its last output: refused');
      return true;
    });
  });

  it('does not pass the service’s own SAFEKEEP_* settings on, only the notice’s', async () => {
    process.env.SAFEKEEP_WEBHOOK = 'https://hooks.example.com/secret';
    try {
      assert.equal(await runCommand('echo "[${SAFEKEEP_WEBHOOK:-unset}]"', options()), '[unset]');
    } finally {
      delete process.env.SAFEKEEP_WEBHOOK;
    }
  });

  it('is killed with everything it started when it runs past its time limit', async () => {
    const root = await tempDir('notify-command');
    const pidFile = path.join(root, 'pid');
    const started = Date.now();
    await assert.rejects(runCommand(`sleep 30 & echo $! > '${pidFile}'; wait`, options({ timeoutMs: 1_500 })), /did not finish within 1500 ms and was killed/);
    assert.ok(Date.now() - started < 8_000, 'killed, not waited for');
    const pid = Number(await readFile(pidFile, 'utf8'));
    // Gone, or dead and waiting for init to reap it (a zombie still answers kill 0).
    const state = await readFile(`/proc/${pid}/stat`, 'utf8').then((stat) => stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3), () => 'gone');
    assert.ok(state === 'gone' || state === 'Z', `the sleep the shell started is gone too (state ${state})`);
  });

  it('is killed at once when the service stops', async () => {
    const abort = new AbortController();
    const running = runCommand('sleep 30', options({ signal: abort.signal }));
    abort.abort();
    await assert.rejects(running, /killed because the service is stopping/);
  });
});
