import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { access, copyFile, cp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { validate } from 'dockerfile-utils';
import { parseCli } from '../../src/cli/cli-options.ts';
import { DEFAULT_SHUTDOWN_GRACE_MS } from '../../src/host/host-options.ts';
import { startReceiver } from '../helpers/http-receiver.ts';
import { run, SafekeepProcess } from '../helpers/safekeep-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const UNIT = path.join(REPO, 'deploy/safekeep.service');
const DOCKERFILE = path.join(REPO, 'deploy/Dockerfile');

/** The unit's `Key=value` lines (later ones after earlier ones, as systemd reads them). */
async function unitSettings(): Promise<[string, string][]> {
  const text = await readFile(UNIT, 'utf8');
  return text
    .split('\n')
    .filter((line) => /^[A-Za-z]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]);
}

/** A Dockerfile's instructions, continuation lines joined and comments left out, in order. */
async function instructions(): Promise<{ keyword: string; args: string }[]> {
  const lines = (await readFile(DOCKERFILE, 'utf8')).split('\n').filter((line) => !/^\s*#/.test(line));
  const joined = lines.join('\n').replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

/** The last stage's instructions: what the image is. */
async function runtimeStage() {
  const all = await instructions();
  const lastFrom = all.map((instruction) => instruction.keyword).lastIndexOf('FROM');
  return all.slice(lastFrom);
}

const execForm = (args: string) => JSON.parse(args.replace(/^--\S+\s+/g, '')) as string[];

describe('deploy/safekeep.service', () => {
  const analyze = spawnSync('systemd-analyze', ['--version']);
  const skip = analyze.error ? 'systemd-analyze is not installed here' : false;

  it('passes systemd-analyze verify with no warning', { skip }, async () => {
    // verify insists that ExecStart's program exists: a copy names this machine's node and the built command.
    const folder = await tempDir('unit');
    const unit = (await readFile(UNIT, 'utf8')).replace(/^ExecStart=\/usr\/local\/bin\/safekeep/m, `ExecStart=${process.execPath} ${path.join(REPO, 'dist/src/cli/main.js')}`);
    assert.notEqual(unit, await readFile(UNIT, 'utf8'), 'ExecStart names the installed command');
    await writeFile(path.join(folder, 'safekeep.service'), unit);
    const verified = spawnSync('systemd-analyze', ['verify', path.join(folder, 'safekeep.service')], { encoding: 'utf8' });
    assert.equal(verified.status, 0, verified.stderr);
    assert.equal(verified.stderr.trim(), '', 'no unknown keys, no bad values');
  });

  it('is installed from a packed tarball, not linked to a checkout the service may not read', async () => {
    const readme = await readFile(path.join(REPO, 'README.md'), 'utf8');
    for (const text of [readme, await readFile(UNIT, 'utf8')]) {
      assert.match(text, /sudo npm install -g \.\/safekeep-\*\.tgz/);
      assert.doesNotMatch(text, /^[#\s]*sudo npm install -g \.(\s|$)/m);
    }
  });

  it('keeps its data in its state directory, stops gently after the shutdown grace, and restarts on failure', async () => {
    const settings = new Map(await unitSettings());
    assert.equal(settings.get('StateDirectory'), 'safekeep');
    assert.match(settings.get('ExecStart') ?? '', /--data-dir \/var\/lib\/safekeep(\s|$)/);
    assert.equal(settings.get('DynamicUser'), 'yes');
    assert.equal(settings.get('KillSignal'), 'SIGTERM');
    assert.equal(settings.get('Restart'), 'on-failure');
    assert.equal(settings.get('EnvironmentFile'), '-/etc/safekeep/env');
    const stopSeconds = Number(settings.get('TimeoutStopSec'));
    assert.ok(stopSeconds * 1000 > DEFAULT_SHUTDOWN_GRACE_MS + 5_000, 'the grace and the notifications finish before systemd kills');
    for (const [key, value] of [['NoNewPrivileges', 'yes'], ['PrivateTmp', 'yes'], ['ProtectSystem', 'strict'], ['ProtectHome', 'read-only']]) {
      assert.equal(settings.get(key as string), value, key);
    }
    const flags = (settings.get('ExecStart') ?? '').split(/\s+/).slice(1);
    assert.equal(parseCli(flags, '/').kind, 'run', 'ExecStart’s flags are ones safekeep takes');
  });
});

describe('the package', () => {
  it('ships the status page inside dist/, so an install of the built command serves it', async () => {
    const packed = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: REPO });
    assert.equal(packed.code, 0, packed.stderr);
    const [listing] = JSON.parse(packed.stdout) as { files: { path: string }[] }[];
    const files = new Set(listing?.files.map((file) => file.path));
    for (const file of ['dist/src/cli/main.js', 'dist/adapters/http/page/index.html', 'dist/adapters/http/page/page.js']) assert.ok(files.has(file), `${file} is in the package`);
  });
});

describe('deploy/Dockerfile', () => {
  it('is valid for dockerfile-utils, with no error or warning', async () => {
    const diagnostics = validate(await readFile(DOCKERFILE, 'utf8'));
    assert.deepEqual(diagnostics.map((d) => `${d.range.start.line + 1}: ${d.message}`), []);
  });

  it('builds in one stage and runs from a slim one, as a non-root user, with the data dir a volume', async () => {
    const all = await instructions();
    assert.ok(all.filter((instruction) => instruction.keyword === 'FROM').length >= 2, 'multi-stage');
    const runtime = await runtimeStage();
    const users = runtime.filter((instruction) => instruction.keyword === 'USER');
    assert.ok(users.length > 0 && !/^(root|0)(:|$)/.test(users.at(-1)?.args ?? ''), 'runs as a user other than root');
    assert.ok(runtime.some((instruction) => instruction.keyword === 'VOLUME' && instruction.args.split(/\s+/).includes('/data')));
    assert.ok(runtime.some((instruction) => instruction.keyword === 'COPY' && instruction.args.startsWith('--from=build')), 'the runtime takes the build’s dist');
    assert.ok(!runtime.some((instruction) => instruction.keyword === 'RUN' && /npm (ci|install)(?!.*--omit=dev)/.test(instruction.args)), 'no dev dependencies at run time');
    assert.ok(runtime.some((instruction) => instruction.keyword === 'STOPSIGNAL' && instruction.args === 'SIGTERM'));
    assert.ok(runtime.some((instruction) => instruction.keyword === 'HEALTHCHECK'));
    const cmd = execForm(runtime.find((instruction) => instruction.keyword === 'CMD')?.args ?? '[]');
    const parsed = parseCli(cmd, '/app');
    assert.equal(parsed.kind, 'run', `CMD's flags are ones safekeep takes: ${cmd.join(' ')}`);
    if (parsed.kind === 'run') {
      assert.equal(parsed.config.dataDir, '/data');
      assert.equal(parsed.config.host, '0.0.0.0', 'reachable through docker run -p');
    }
  });

  it('copies only what is in the repository and let through by .dockerignore', async () => {
    const ignore = (await readFile(path.join(REPO, '.dockerignore'), 'utf8')).split('\n');
    const allowed = ignore.filter((line) => line.startsWith('!')).map((line) => line.slice(1).replace(/\/$/, ''));
    const copies = (await instructions()).filter((instruction) => instruction.keyword === 'COPY' && !instruction.args.startsWith('--from'));
    assert.ok(copies.length > 0);
    for (const copy of copies) {
      const sources = copy.args.split(/\s+/).slice(0, -1);
      for (const source of sources) {
        await access(path.join(REPO, source));
        assert.ok(allowed.includes(source.replace(/\/$/, '')), `${source} is let through by .dockerignore`);
      }
    }
  });

  it('is run, in its own example and the README’s, with a stop timeout longer than the shutdown grace and the notifications’', async () => {
    const readme = await readFile(path.join(REPO, 'README.md'), 'utf8');
    const examples = [(await readFile(DOCKERFILE, 'utf8')).replace(/\n#\s*/g, '\n'), readme].flatMap((text) => text.match(/docker run -d [^\n]*/g) ?? []);
    assert.ok(examples.length >= 2, 'a run example in each');
    for (const example of examples) {
      const seconds = Number(/--stop-timeout (\d+)/.exec(example)?.[1]);
      assert.ok(seconds * 1000 > DEFAULT_SHUTDOWN_GRACE_MS + 5_000, `docker stop would kill it mid-stop: ${example}`);
    }
  });

  it('has a health check that asks /healthz and fails when it is not ok', async () => {
    const runtime = await runtimeStage();
    const healthcheck = runtime.find((instruction) => instruction.keyword === 'HEALTHCHECK')?.args ?? '';
    const command = execForm(healthcheck.slice(healthcheck.indexOf('CMD ') + 4));
    assert.equal(command[0], 'node');
    for (const [status, expected] of [[200, 0], [503, 1]] as const) {
      const receiver = await startReceiver({ status });
      const checked = await run(process.execPath, command.slice(1), { env: { ...process.env, SAFEKEEP_HTTP: `0.0.0.0:${receiver.port}` } });
      assert.equal(checked.code, expected, `healthz answered ${status}`);
      assert.equal((await receiver.next()).path, '/healthz');
      await receiver.close();
    }
  });

  it('lays out a runtime that starts: production dependencies from the lock file, the built dist, nothing else', { timeout: 180_000 }, async () => {
    // Docker is not here to build the image, so the runtime stage's steps are run by hand in a folder standing for /app.
    const app = await tempDir('image-app');
    await copyFile(path.join(REPO, 'package.json'), path.join(app, 'package.json'));
    await copyFile(path.join(REPO, 'package-lock.json'), path.join(app, 'package-lock.json'));
    const installed = await run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app });
    assert.equal(installed.code, 0, installed.stderr);
    await cp(path.join(REPO, 'dist'), path.join(app, 'dist'), { recursive: true });
    await assert.rejects(access(path.join(app, 'node_modules/typescript')), 'no dev dependency came along');
    const main = path.join(app, 'dist/src/cli/main.js');

    const version = await run(process.execPath, [main, '--version'], { cwd: app, env: { ...process.env, NODE_ENV: 'production' } });
    assert.match(version.stdout, /^safekeep \d+\.\d+\.\d+/);

    // A real start, with the status page as the image has it (SAFEKEEP_HTTP): the password hasher (the native argon2)
    // runs before it says it listens, and the page's files, uPlot's and /healthz are served from dist/ and node_modules.
    // It broke once: dist/ had no page, so the image exited 1 at start.
    const dataDir = path.join(app, 'data');
    const env = { ...process.env, NODE_ENV: 'production', SAFEKEEP_HTTP: '127.0.0.1:0' };
    const service = new SafekeepProcess(['--data-dir', dataDir, '--host', '127.0.0.1', '--port', '0'], app, [], [main], env);
    await service.port();
    const [, base = ''] = await service.waitFor('stdout', /status page at (http:\/\/127\.0\.0\.1:\d+)\//);
    for (const [file, type] of [['/', /^text\/html/], ['/assets/uplot.esm.js', /^text\/javascript/], ['/page/page.js', /^text\/javascript/], ['/healthz', /^application\/json/]] as const) {
      const response = await fetch(`${base}${file}`);
      assert.equal(response.status, 200, file);
      assert.match(response.headers.get('content-type') ?? '', type, file);
      assert.ok((await response.text()).length > 0, file);
    }
    assert.deepEqual(await service.stop('SIGTERM'), { code: 0, signal: null }, service.stderr);

    // Without the page's files the start fails in one line that says what is missing, not with a stack.
    await rm(path.join(app, 'dist/adapters/http/page'), { recursive: true });
    const broken = await run(process.execPath, [main, '--data-dir', dataDir, '--port', '0'], { cwd: app, env });
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /^safekeep: the status page's files \(adapters\/http\/page\/index\.html\) were not found .*\(code ENOENT\)\n$/m);
    assert.doesNotMatch(broken.stderr, /\n\s+at /, 'no stack');
  });
});
