import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/temp-dir.ts';
import { TestClient } from '../helpers/test-client.ts';
import { run, SAFEKEEP_ARGV } from '../helpers/safekeep-process.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const safekeep = (args: string[], cwd: string) => run(process.execPath, [...SAFEKEEP_ARGV, ...args], { cwd });

/** The commands of the README's first code block, as a new user copies them. */
async function readmeFirstCommands(): Promise<string[]> {
  const readme = await readFile(path.join(REPO, 'README.md'), 'utf8');
  const block = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  return block.split('\n').map((line) => line.replace(/#.*$/, '').trim()).filter(Boolean);
}

/**
 * `npm start …` as a user types it in `cwd`, with `--prefix` pointing npm at
 * the checkout (so the user's folder is not the package's, as when typed from a
 * subfolder) and a free port, in a process group of its own so that a test can
 * press Ctrl-C on the whole group as a terminal does.
 */
const groups: number[] = [];
// Whatever a failed test left running goes with the test file.
after(() => {
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function npmStart(args: readonly string[], cwd: string) {
  const child = spawn(NPM, ['--prefix', REPO, 'start', '--', ...args, '--port', '0'], {
    cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    // No INIT_CWD from the test runner's own npm: npm sets it to where this command is "typed".
    env: { ...process.env, INIT_CWD: undefined, npm_lifecycle_event: undefined, npm_package_name: undefined },
  });
  groups.push(child.pid as number);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const output = () => ({ stdout, stderr });
  const listening = async (): Promise<number> => {
    for (;;) {
      const match = /listening on [\d.]+:(\d+)/.exec(stdout);
      if (match) return Number(match[1]);
      if (child.exitCode !== null) throw new Error(`npm start exited: ${stdout}\n${stderr}`);
      await new Promise((resolve) => child.stdout.once('data', resolve));
    }
  };
  return { child, exited, output, listening };
}

/** Whether a process with this pid still runs, as `kill -0` tells. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pid of the service that `npm start` (pid `npmPid`) runs: its child, with nothing in between. */
async function servicePid(npmPid: number): Promise<number> {
  const { stdout } = await run('ps', ['-o', 'pid=,args=', '--ppid', String(npmPid)]);
  const line = stdout.split('\n').find((candidate) => candidate.includes('scripts/safekeep.js'));
  assert.ok(line, `npm start runs no service directly: ${stdout}`);
  return Number(line.trim().split(/\s+/)[0]);
}

describe('the first run, as a new user tries it', () => {
  it("the README's first commands work as printed, from the folder the user is in", async () => {
    const folder = await tempDir('first-run');
    const commands = await readmeFirstCommands();
    assert.equal(commands[0], 'npm install');
    const start = commands.findIndex((command) => command.startsWith('npm start'));
    assert.ok(start > 0, 'the first block starts the service');
    for (const command of commands.slice(1, start)) assert.equal((await run('sh', ['-c', command], { cwd: folder })).code, 0, command);
    const args = (commands[start] as string).replace(/^npm start --\s*/, '').split(/\s+/);
    const service = npmStart(args, folder);
    const port = await service.listening();
    // Relative paths meant the user's folder, not the checkout npm runs in.
    assert.match(service.output().stdout, new RegExp(`backing up ${path.join(folder, 'notes.txt').replaceAll('.', '\\.')} every 1m`));
    const client = await TestClient.connect(port);
    client.send('backup\n');
    assert.equal(await client.recv(), 'Backup completed\n');
    client.send('revert\n');
    const copy = (await client.recv()).trim();
    assert.ok(copy.startsWith(path.join(folder, 'safekeep-data')), copy);
    assert.equal(await readFile(copy, 'utf8'), await readFile(path.join(folder, 'notes.txt'), 'utf8'));
    client.destroy();
    process.kill(service.child.pid as number, 'SIGTERM');
    await service.exited;
  });

  it('kill -TERM on `npm start` stops the service itself: the port and the data directory are free again', async () => {
    const folder = await tempDir('first-run');
    const service = npmStart(['--data-dir', 'data'], folder);
    const port = await service.listening();
    const pid = await servicePid(service.child.pid as number);
    assert.ok(alive(pid), 'the service process runs');
    process.kill(service.child.pid as number, 'SIGTERM');
    await service.exited;
    for (let waited = 0; alive(pid) && waited < 100; waited++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(alive(pid), false, 'the node process outlived npm');
    // Free again: a new service takes the same data directory and port.
    const again = npmStart(['--data-dir', 'data'], folder);
    await again.listening();
    assert.match(again.output().stdout, /listening/);
    process.kill(again.child.pid as number, 'SIGTERM');
    await again.exited;
    assert.ok(port > 0);
  });

  it('Ctrl-C (SIGINT to the whole process group, npm included) stops it gracefully, once', async () => {
    const folder = await tempDir('first-run');
    const service = npmStart(['--data-dir', 'data'], folder);
    await service.listening();
    const pid = await servicePid(service.child.pid as number);
    process.kill(-(service.child.pid as number), 'SIGINT');
    await service.exited;
    for (let waited = 0; alive(pid) && waited < 100; waited++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(alive(pid), false);
    const { stderr } = service.output();
    assert.match(stderr, /SIGINT, stopping/);
    assert.doesNotMatch(stderr, /again, exiting at once/);
  });

  it('--version prints the package version; --help says what the service does, the password book included', async () => {
    const folder = await tempDir('first-run');
    const { version } = JSON.parse(await readFile(path.join(REPO, 'package.json'), 'utf8')) as { version: string };
    const printed = await safekeep(['--version'], folder);
    assert.equal(printed.code, 0);
    assert.equal(printed.stdout, `safekeep ${version}\n`);
    const help = await safekeep(['--help'], folder);
    assert.match(help.stdout, /password book/);
  });

  it('shows an interval as given (1.5 s is 1.5s), refuses one under a second, and explains a negative one', async () => {
    const folder = await tempDir('first-run');
    for (const [interval, message] of [
      ['10ms', /--interval '10ms' is not a time from 1s to a year/],
      ['0.5', /--interval '0.5' is not a time from 1s/],
      ['-5', /--interval '-5' is not a time from 1s to a year/],
      ['-1h', /--interval '-1h' is not a time/],
    ] as const) {
      const { code, stderr } = await safekeep(['--interval', interval], folder);
      assert.equal(code, 2, `${interval}: ${stderr}`);
      assert.match(stderr, message);
      assert.doesNotMatch(stderr, /ambiguous/);
    }
    const { code, stderr } = await safekeep(['--port', '-1'], folder);
    assert.equal(code, 2);
    assert.match(stderr, /--port '-1' is not a port number/);
  });
});

describe('intervals as the start-up line shows them', () => {
  it('are never rounded', async () => {
    const { formatInterval } = await import('../../src/backup/interval.ts');
    assert.equal(formatInterval(1_500), '1.5s');
    assert.equal(formatInterval(90_000), '1m30s');
    assert.equal(formatInterval(3_600_000 + 250), '1h0.25s');
    assert.equal(formatInterval(86_400_000), '1d');
  });
});
