import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI_OPTIONS, HELP } from '../../src/cli/cli-options.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { TestClient } from '../helpers/test-client.ts';
import { run, spawnSafekeep, SAFEKEEP_ARGV } from '../helpers/safekeep-process.ts';

const PROMPT_DRIVER = fileURLToPath(new URL('./clients/prompt_driver.py', import.meta.url));
const safekeep = (args: string[], cwd: string) => run(process.execPath, [...SAFEKEEP_ARGV, ...args], { cwd });

async function revert(port: number): Promise<string> {
  const client = await TestClient.connect(port);
  client.send('revert');
  const reply = await client.recv();
  client.destroy();
  return reply;
}

describe('the safekeep command', () => {
  it('documents every option in --help', async () => {
    const root = await tempDir('cli');
    const { code, stdout } = await safekeep(['--help'], root);
    assert.equal(code, 0);
    assert.equal(stdout, HELP);
    const declared = Object.keys(CLI_OPTIONS);
    assert.ok(declared.length >= 10);
    for (const option of declared) assert.match(HELP, new RegExp(`--${option}\\b`), `--${option} is not in --help`);
  });

  it('refuses a bad option or value with a clear message and exit code 2', async () => {
    const root = await tempDir('cli');
    for (const [args, message] of [
      [['--bogus'], /Unknown option '--bogus'/],
      [['--interval', 'soon'], /--interval 'soon' is not a time from 1s to a year/],
      [['--interval', '0'], /--interval '0' is not a time from 1s/],
      [['--port', '70000'], /--port '70000' is not a port number/],
      [['--keep', '0'], /--keep '0' is not a whole number from 1 to 1000000/],
      [['--keep-daily', '-2'], /--keep-daily '-2' is not a whole number from 1/],
      [['--reply-to', 'localhost'], /--reply-to 'localhost' is not HOST:PORT/],
      [['--reply-to', '127.0.0.1:0'], /is not HOST:PORT/],
      [['stray'], /Unexpected argument 'stray'/],
      [['--record', ' '], /--record needs a file path/],
    ] as const) {
      const { code, stderr } = await safekeep([...args], root);
      assert.equal(code, 2, `${args.join(' ')} → ${stderr}`);
      assert.match(stderr, message);
    }
  });

  it('refuses to start, exit 1, when the recording cannot be written', async () => {
    const root = await tempDir('cli');
    const { code, stderr } = await safekeep(['--port', '0', '--record', path.join(root, 'no-such-folder', 'run.ndjson')], root);
    assert.equal(code, 1);
    assert.match(stderr, /^safekeep: Cannot write the recording .*no-such-folder\/run\.ndjson: ENOENT/m);
  });

  it('without a terminal and without --source, runs with no backup job and says so', async () => {
    const root = await tempDir('cli');
    const server = spawnSafekeep(['--port', '0'], root);
    const port = await server.port();
    assert.match(server.stdout, /no backup job \(give --source PATH to back up a file\)/);
    assert.equal(await revert(port), 'No backup found.');
    assert.deepEqual(await server.stop(), { code: 0, signal: null });
  });

  it('prints one line saying where it listens and what it backs up', async () => {
    const root = await tempDir('cli');
    await writeFile(path.join(root, 'notes.json'), '{}');
    const server = spawnSafekeep(['--source', 'notes.json', '--interval', '5m', '--keep', '3', '--port', '0'], root);
    const port = await server.port();
    assert.equal(
      server.stdout,
      `safekeep listening on 127.0.0.1:${port}; backing up ${path.join(root, 'notes.json')} every 5m as 'notes.json' (keeping last 3) into ${path.join(root, 'safekeep-data', 'backups')}\n`,
    );
    await server.stop();
  });

  it('refuses a second instance on the same data directory, and starts once the first is gone', async () => {
    const root = await tempDir('cli');
    const first = spawnSafekeep(['--port', '0'], root);
    await first.port();
    const second = await safekeep(['--port', '0'], root);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /data directory .*safekeep-data is in use by another safekeep process \(pid \d+\)/);
    assert.deepEqual(await first.stop('SIGINT'), { code: 0, signal: null });
    assert.ok(!(await readdir(path.join(root, 'safekeep-data'))).includes('safekeep.lock'), 'a clean stop removes the lock');
    const third = spawnSafekeep(['--port', '0'], root);
    await third.port();
    await third.stop();
  });

  it('says clearly when the port is taken', async () => {
    const root = await tempDir('cli');
    const first = spawnSafekeep(['--port', '0', '--data-dir', 'one'], root);
    const port = await first.port();
    const second = await safekeep(['--port', String(port), '--data-dir', 'two'], root);
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`Cannot listen on 127.0.0.1:${port}: the port is already in use`));
    await first.stop();
  });

  it('resumes its jobs after a restart, with the same versions', async () => {
    const root = await tempDir('cli');
    await writeFile(path.join(root, 'notes.json'), 'v1');
    const first = spawnSafekeep(['--source', 'notes.json', '--interval', '1h', '--port', '0'], root);
    const firstPort = await first.port();
    await first.waitFor('stderr', /\[notes\.json\] done/);
    const before = await revert(firstPort);
    await first.stop();

    // No --source this time: the saved job resumes on its schedule; nothing is overdue, so nothing runs.
    const second = spawnSafekeep(['--port', '0', '--verbose'], root);
    const port = await second.port();
    assert.match(second.stdout, /backing up .*notes\.json every 1h as 'notes.json'/);
    const [, minutes] = await second.waitFor('stderr', /\[notes\.json\] next run in (\d+)m/);
    assert.ok(Number(minutes) >= 50 && Number(minutes) < 60, `next run in ${minutes}m`);
    assert.equal(await revert(port), before);
    assert.doesNotMatch(second.stderr, /copying/);
    await second.stop();
  });

  it('asks for the file and the interval on a terminal, asking again until they make sense', async () => {
    const root = await tempDir('cli');
    await writeFile(path.join(root, 'notes.json'), '{}');
    const { stdout: screen } = await run('python3', [
      PROMPT_DRIVER,
      root,
      'File to back up: =missing.txt',
      'File to back up: =notes.json',
      'Back up every=soon',
      'Back up every=-5',
      'Back up every=60',
      '--',
      process.execPath,
      ...SAFEKEEP_ARGV,
      '--port',
      '0',
    ]);
    assert.match(screen, /missing\.txt is not a file; try again/);
    assert.match(screen, /'soon' is not an interval from 1s to a year; try again/);
    assert.match(screen, /'-5' is not an interval from 1s to a year; try again/);
    assert.match(screen, new RegExp(`backing up ${path.join(root, 'notes.json').replace(/[.]/g, '\\.')} every 1m`));
  });
});
