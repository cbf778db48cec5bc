import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { cp, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/temp-dir.ts';
import { run, spawnSafekeep, TSX } from '../helpers/safekeep-process.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'dist/src/cli/main.js');
const SEED_BACKUP_CLIENT = fileURLToPath(new URL('./clients/seed_backup_client.py', import.meta.url));

/** The package's `safekeep` bin, as built by `npm install`. */
const replay = (file: string, bin = BIN) => run(process.execPath, [bin, 'replay', file]);

describe('safekeep --record, then safekeep replay, as separate processes', () => {
  let recording: string;

  before(async () => {
    const dir = await tempDir('record-cli');
    const source = path.join(dir, 'notes.txt');
    await writeFile(source, 'first\n');
    recording = path.join(dir, 'run.ndjson');
    const server = spawnSafekeep(['--port', '0', '--source', source, '--record', recording], dir);
    const port = String(await server.port());
    await server.waitFor('stderr', /\] done/);
    const client = (word: string) => run('python3', [SEED_BACKUP_CLIENT, port, word]);
    assert.match((await client('revert')).stdout, /^\//);
    await writeFile(source, 'second\n');
    assert.match((await client('backup')).stdout, /./);
    assert.equal((await server.stop('SIGINT')).code, 0);
  });

  it('replays the recorded run identically (exit 0), through the bin and through npm', async () => {
    const steps = (await readFile(recording, 'utf8')).trim().split('\n').length - 2;
    const viaBin = await replay(recording);
    assert.equal(viaBin.code, 0, viaBin.stdout + viaBin.stderr);
    assert.equal(viaBin.stdout, `${recording}: ${steps} steps replayed, identical\n`);

    const viaNpm = await run('npm', ['run', '--silent', 'replay', '--', recording], { cwd: ROOT });
    assert.equal(viaNpm.code, 0, viaNpm.stderr);
    assert.equal(viaNpm.stdout, viaBin.stdout);
  });

  it('gives byte-identical output every time, identical or not', async () => {
    const tampered = `${recording}.tampered`;
    // An output changed: the first backup.completed now says the source was unchanged.
    const lines = (await readFile(recording, 'utf8')).split('\n');
    const completed = lines.findIndex((line) => line.includes('"name":"backup.completed"'));
    lines[completed] = (lines[completed] as string).replace('"kind":"copied"', '"kind":"unchanged"');
    await writeFile(tampered, lines.join('\n'));
    for (const file of [recording, tampered]) {
      const outputs = await Promise.all([replay(file), replay(file), replay(file)]);
      assert.ok(outputs.every((output) => output.stdout === outputs[0]?.stdout && output.code === outputs[0]?.code), JSON.stringify(outputs));
    }
    const diverged = await replay(tampered);
    assert.equal(diverged.code, 1);
    assert.match(diverged.stdout, new RegExp(`diverged at step ${completed} of \\d+ \\(${completed - 1} identical before it\\)`));
    assert.match(diverged.stdout, /\n {2}recorded: \{"seq":\d+.*"kind":"unchanged"/);
    assert.match(diverged.stdout, /\n {2}replayed: \{"seq":\d+.*"kind":"copied"/);
  });

  it('catches a deliberately non-deterministic change: the backup engine reading the wall clock instead of the host\'s', async () => {
    const copy = await tempDir('nondeterministic');
    for (const part of ['src', 'machines', 'adapters', 'package.json', 'tsconfig.json']) await cp(path.join(ROOT, part), path.join(copy, part), { recursive: true });
    await symlink(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
    const service = path.join(copy, 'src/backup/backup-service.ts');
    const original = await readFile(service, 'utf8');
    assert.ok(original.includes('const startedAt = clock.now();'));
    await writeFile(service, original.replace('const startedAt = clock.now();', 'const startedAt = Date.now();'));

    const changed = await run(process.execPath, ['--import', TSX, path.join(copy, 'src/cli/main.ts'), 'replay', recording]);
    assert.equal(changed.code, 1, changed.stdout + changed.stderr);
    assert.match(changed.stdout, /diverged at step \d+/);
    assert.match(changed.stdout, /recorded: .*\n {2}replayed: /);
  });

  it('says what is wrong, with exit 2, when there is no recording to replay', async () => {
    const missing = await run(process.execPath, [BIN, 'replay', '/nonexistent/run.ndjson']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /safekeep replay: \/nonexistent\/run\.ndjson: ENOENT/);
    const none = await run(process.execPath, [BIN, 'replay']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /give exactly one recording/);
    const notOne = path.join(await tempDir('not-a-recording'), 'x.ndjson');
    await writeFile(notOne, '{"format":"something else"}\n');
    const bad = await run(process.execPath, [BIN, 'replay', notOne]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /line 1 is not a safekeep\.recording\.v1 header/);
  });
});
