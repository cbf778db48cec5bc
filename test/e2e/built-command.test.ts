import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { watch } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { JsonClient } from '../helpers/json-client.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { TestClient } from '../helpers/test-client.ts';
import { BUILT_ARGV, BUILT_MAIN, builtServices, run } from '../helpers/safekeep-process.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const startBuilt = builtServices();

/** What the service's process runs: the command line of `pid`, one argument per entry. */
async function commandLine(pid: number): Promise<string[]> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
}

describe('the built command (the package bin; what npm start runs)', () => {
  it('is the package bin, and starts with plain node, no tsx: it backs up, answers the text dialect and keeps a password book', async () => {
    const manifest = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as { bin: { safekeep: string } };
    assert.equal(path.join(REPO, manifest.bin.safekeep), BUILT_MAIN);

    const folder = await tempDir('built-command');
    await writeFile(path.join(folder, 'notes.txt'), 'my first notes\n');
    const service = startBuilt(['--source', 'notes.txt', '--port', '0'], folder);
    const port = await service.port();
    assert.doesNotMatch((await commandLine(service.child.pid as number)).join(' '), /tsx/);

    const text = await TestClient.connect(port);
    text.send('backup\n');
    assert.deepEqual(await text.lines(1), ['Backup completed']);
    text.send('revert\n');
    const [copy = ''] = await text.lines(1);
    assert.equal(await readFile(copy, 'utf8'), 'my first notes\n');
    text.destroy();

    // The book hashes with the Argon2 addon, which the bundle loads from node_modules at run time.
    const book = await JsonClient.connect(port);
    await book.ok({ type: 'user.register', username: 'ann', masterPassword: 'correct horse battery' });
    const { token } = await book.ok({ type: 'session.login', username: 'ann', masterPassword: 'correct horse battery' });
    assert.equal(typeof token, 'string');
    assert.equal(await book.fails({ type: 'session.login', username: 'bob', masterPassword: 'correct horse battery' }), 'LOGIN_FAILED');
    book.close();

    assert.deepEqual(await service.stop(), { code: 0, signal: null });
  });

  it('runs check and replay, which it loads only when asked for', async () => {
    const folder = await tempDir('built-command');
    await writeFile(path.join(folder, 'notes.txt'), 'notes\n');
    const recording = path.join(folder, 'run.ndjson');
    const service = startBuilt(['--source', 'notes.txt', '--port', '0', '--record', recording], folder);
    const client = await TestClient.connect(await service.port());
    client.send('backup\n');
    assert.deepEqual(await client.lines(1), ['Backup completed']);
    client.destroy();
    assert.deepEqual(await service.stop(), { code: 0, signal: null });

    const replayed = await run(process.execPath, [...BUILT_ARGV, 'replay', recording], { cwd: folder });
    assert.equal(replayed.code, 0, replayed.stderr);
    assert.match(replayed.stdout, /identical/);
    const checked = await run(process.execPath, [...BUILT_ARGV, 'check'], { cwd: folder });
    assert.equal(checked.code, 0, checked.stderr);
    assert.match(checked.stdout, /nothing damaged/);
  });

  it('leaves a V8 code cache beside its bundle a few seconds into a run, and the next start runs from it', async () => {
    const folder = await tempDir('built-command');
    const dir = path.dirname(BUILT_MAIN);
    for (const name of await readdir(dir)) if (name.endsWith('.v8cache')) await rm(path.join(dir, name), { force: true });
    const written = new Promise<string>((resolve) => {
      const watcher = watch(dir, (_event, name) => {
        if (!name?.endsWith('.v8cache')) return;
        watcher.close();
        resolve(name);
      });
    });
    const first = startBuilt(['--port', '0', '--data-dir', 'data'], folder);
    await first.port();
    // Named for the bundle it was made from and the Node that made it: neither a rebuild nor another Node reads it.
    assert.match(await written, new RegExp(`^safekeep\\.cjs\\.[0-9a-f]{16}\\.${process.version.replaceAll('.', '\\.')}\\.v8cache$`));
    assert.deepEqual(await first.stop(), { code: 0, signal: null });

    const second = startBuilt(['--port', '0', '--data-dir', 'data'], folder);
    const client = await TestClient.connect(await second.port());
    client.send('revert\n');
    assert.deepEqual(await client.lines(1), ['No backup found.']);
    client.destroy();
    assert.deepEqual(await second.stop(), { code: 0, signal: null });
  });

  it('is what npm start runs, through scripts/safekeep.js, with no tsx in between', async () => {
    const folder = await tempDir('built-command');
    const child = spawn(NPM, ['--prefix', REPO, 'start', '--', '--port', '0', '--data-dir', 'data'], {
      cwd: folder,
      stdio: ['ignore', 'pipe', 'pipe'],
      // No INIT_CWD from the test runner's own npm: npm sets it to where this command is "typed".
      env: { ...process.env, INIT_CWD: undefined, npm_lifecycle_event: undefined, npm_package_name: undefined },
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.resume();
    while (!/listening on [\d.]+:\d+/.test(stdout)) {
      if (child.exitCode !== null) assert.fail(`npm start exited before listening: ${stdout}`);
      await new Promise((resolve) => child.stdout.once('data', resolve));
    }
    const port = Number(/listening on [\d.]+:(\d+)/.exec(stdout)?.[1]);
    const { stdout: children } = await run('ps', ['-o', 'pid=', '--ppid', String(child.pid)]);
    const servicePid = Number(children.trim().split(/\s+/)[0]);
    const service = await commandLine(servicePid);
    assert.equal(service[1], 'scripts/safekeep.js');
    assert.doesNotMatch(service.join(' '), /tsx/);

    const client = await TestClient.connect(port);
    client.send('revert\n');
    assert.deepEqual(await client.lines(1), ['No backup found.']);
    client.destroy();
    process.kill(child.pid as number, 'SIGTERM');
    assert.equal(await exited, 0);
  });
});
