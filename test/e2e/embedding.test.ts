import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdir, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tempDir } from '../helpers/temp-dir.ts';
import { TSX } from '../helpers/safekeep-process.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs an example as `npm run example` does: from source, `safekeep` resolved through the package's own exports. */
async function runExample(name: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--conditions=source', '--import', TSX, path.join(ROOT, 'examples', name)], { cwd: ROOT });
  return stdout;
}

describe('the examples', () => {
  it('embed-in-app backs up the app\'s settings on demand and names the newest version', async () => {
    const out = await runExample('embed-in-app.ts');
    assert.match(out, /backup copied: version 2 at .*settings\..*\.json/);
    assert.match(out, /backup unchanged: version 2/);
    assert.match(out, /newest version to restore from: safekeep-data\/backups\//);
  });

  it('listen-to-backups sees each completed version and the failure', async () => {
    const out = await runExample('listen-to-backups.ts');
    assert.match(out, /version 1: 12 bytes[\s\S]*version 2: 13 bytes[\s\S]*version 3: 20 bytes/);
    assert.match(out, /failed: SOURCE_NOT_FOUND/);
    assert.match(out, /runBackup rejected: SOURCE_NOT_FOUND/);
  });

  it('password-book keeps and reads back a password, and never prints a secret', async () => {
    const out = await runExample('password-book.ts');
    assert.match(out, /the token prints as \[secret\]/);
    assert.match(out, /entries: mail/);
    assert.match(out, /read back the same password: true/);
    assert.match(out, /wrong password: LOGIN_FAILED/);
    assert.match(out, /users: 1/);
  });

  it('custom-adapter writes one audit line per backup and closes its file on stop', async () => {
    const lines = (await runExample('custom-adapter.ts')).trim().split('\n').map((line) => JSON.parse(line));
    assert.deepEqual(
      lines.map(({ job, outcome, version }) => ({ job, outcome, version })),
      [
        { job: 'todo.md', outcome: 'copied', version: 1 },
        { job: 'todo.md', outcome: 'copied', version: 2 },
      ],
    );
  });

  it('record-and-replay replays its own recording identically and catches an altered one', async () => {
    const out = await runExample('record-and-replay.ts');
    assert.match(out, /the password appears in it: false/);
    assert.match(out, /replay: (\d+) of \1 steps identical/);
    assert.match(out, /altered replay: diverged at step \d+ \(the replay produced a different step\)/);
  });
});

describe('the built package, from another project', () => {
  it('imports from a plain .mjs file and type-checks against its declarations', async (t) => {
    const built = path.join(ROOT, 'dist/src/index.js');
    await access(built).catch(() => assert.fail(`${built} is missing: npm install (or npm run build) builds it`));

    const project = await tempDir('consumer');
    await mkdir(path.join(project, 'node_modules'));
    // As `npm install ../safekeep` would link it; its own dependencies resolve from its folder.
    await symlink(ROOT, path.join(project, 'node_modules', 'safekeep'), 'dir');
    await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    await writeFile(
      path.join(project, 'app.mjs'),
      [
        "import { startHost, Secret, LoginFailedError } from 'safekeep';",
        "const host = await startHost({ dataDir: './data', socket: false });",
        "await host.request('user.register', { username: 'ann', masterPassword: new Secret('correct horse') });",
        "const wrong = await host.request('session.login', { username: 'ann', masterPassword: new Secret('wrong horse') }).catch((e) => e);",
        "console.log(wrong instanceof LoginFailedError, (await host.request('users.count', {})).count);",
        'await host.stop();',
      ].join('\n'),
    );
    const { stdout } = await run(process.execPath, ['app.mjs'], { cwd: project });
    assert.equal(stdout, 'true 1\n');

    await t.test('its declarations', async () => {
      await writeFile(
        path.join(project, 'check.ts'),
        [
          "import { startHost, type BackupCompleted } from 'safekeep';",
          "const host = await startHost({ dataDir: './data', socket: false });",
          "host.bus.on$('backup.completed').subscribe((event: BackupCompleted) => event.version.path);",
          '// @ts-expect-error: no such event',
          "host.bus.on$('backup.done');",
          "const count: number = (await host.request('users.count', {})).count;",
          'export { count };',
        ].join('\n'),
      );
      await writeFile(
        path.join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true, types: ['node'], typeRoots: [path.join(ROOT, 'node_modules/@types')] },
          files: ['check.ts'],
        }),
      );
      await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', project], { cwd: project }).catch((error: { stdout: string }) =>
        assert.fail(`tsc found errors in the consumer:\n${error.stdout}`),
      );
    });
  });
});
