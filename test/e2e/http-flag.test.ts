import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BUILT_ARGV, run, SafekeepProcess } from '../helpers/safekeep-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const running: SafekeepProcess[] = [];
after(() => Promise.all(running.map((service) => service.stop('SIGKILL'))));

describe('safekeep --http (the built command)', () => {
  it('serves on every address when asked, and warns at start that the page has no login', async () => {
    const folder = await tempDir('http-flag');
    await writeFile(path.join(folder, 'notes.txt'), 'notes\n');
    const service = new SafekeepProcess(['--source', 'notes.txt', '--port', '0', '--http', '0.0.0.0:0'], folder, [], BUILT_ARGV);
    running.push(service);
    const [, port] = await service.waitFor('stdout', /status page at http:\/\/0\.0\.0\.0:(\d+)\//);
    assert.match(service.stderr, /warning: the status page at http:\/\/0\.0\.0\.0:\d+\/ can be reached from other machines and asks for no login/);
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { status: string }).status, 'ok');
    assert.equal((await service.stop()).code, 0);
  });

  it('does not warn on loopback', async () => {
    const folder = await tempDir('http-flag');
    const service = new SafekeepProcess(['--port', '0', '--http', '0'], folder, [], BUILT_ARGV);
    running.push(service);
    await service.waitFor('stdout', /status page at http:\/\/127\.0\.0\.1:\d+\//);
    assert.doesNotMatch(service.stderr, /warning: the status page/);
    await service.stop();
  });

  it('refuses a malformed --http with exit code 2 and the form it wants', async () => {
    const folder = await tempDir('http-flag');
    const result = await run(process.execPath, [...BUILT_ARGV, '--http', 'localhost'], { cwd: folder });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--http 'localhost' is not PORT or HOST:PORT/);
  });
});
