import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BUILT_ARGV, run, SafekeepProcess } from '../helpers/safekeep-process.ts';
import { flipByte } from '../helpers/flip-byte.ts';
import { freePort } from '../helpers/free-port.ts';
import { JsonClient } from '../helpers/json-client.ts';
import { tempDir } from '../helpers/temp-dir.ts';

let folder: string;
let service: SafekeepProcess;
let port: number;
let client: JsonClient;

/** `safekeep status|versions …` through the built command, in the service's folder, as a person types it. */
function safekeep(...args: string[]) {
  return run(process.execPath, [...BUILT_ARGV, ...args], { cwd: folder });
}

before(async () => {
  folder = await tempDir('status-e2e');
  await writeFile(path.join(folder, 'notes.txt'), 'notes, version one\n');
  port = await freePort();
  // The service and the commands read the same file: `status` finds the port there.
  await writeFile(path.join(folder, 'safekeep.json'), JSON.stringify({ port, dataDir: 'data', jobs: [{ source: 'notes.txt', interval: '1h' }] }));
  service = new SafekeepProcess(['--config', 'safekeep.json'], folder, [], BUILT_ARGV);
  await service.port();
  client = await JsonClient.connect(port);
  await client.ok({ type: 'backup.run', job: 'notes.txt' });
});

after(async () => {
  client?.close();
  await service?.stop('SIGKILL');
});

describe('safekeep status and safekeep versions against a running service (built command)', () => {
  it('status prints a table of jobs and exits 0 when all is well', async () => {
    const result = await safekeep('status', '--config', 'safekeep.json');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^safekeep \\S+ on 127\\.0\\.0\\.1:${port}, up `));
    assert.match(result.stdout, /\nJOB +STATE +LAST RUN +NEXT RUN +VERSIONS +SIZE +DAMAGED\n/);
    assert.match(result.stdout, /\nnotes\.txt +scheduled +(copied|unchanged), (now|\d+ s ago) \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\) +in (59 min|1 h) \(.*\) +1 +19 B +0\n/);
  });

  it('status --json prints the service\'s result for scripts', async () => {
    const result = await safekeep('status', '--port', String(port), '--json');
    assert.equal(result.code, 0, result.stderr);
    const status = JSON.parse(result.stdout) as { jobs: { id: string; versions: number }[] };
    assert.deepEqual(status.jobs.map((job) => [job.id, job.versions]), [['notes.txt', 1]]);
  });

  it('versions JOB lists the versions, newest first, table and --json', async () => {
    await writeFile(path.join(folder, 'notes.txt'), 'notes, version two, longer\n');
    await client.ok({ type: 'backup.run', job: 'notes.txt' });
    const table = await safekeep('versions', 'notes.txt', '--config', 'safekeep.json');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^notes\.txt: 2 versions, 46 B, newest first\n\nSEQ +CREATED +SIZE +KIND +SHA-256 +DAMAGED\n +2 .* 27 B +file +[0-9a-f]{12} +-\n +1 .* 19 B +file/);
    const json = await safekeep('versions', 'notes.txt', '--port', String(port), '--json');
    assert.deepEqual((JSON.parse(json.stdout) as { versions: { seq: number }[] }).versions.map((version) => version.seq), [2, 1]);
  });

  it('versions of an unknown job is the service\'s UNKNOWN_JOB, exit 1', async () => {
    const result = await safekeep('versions', 'nope.txt', '--port', String(port));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /safekeep versions: .*\(code UNKNOWN_JOB\)\n/);
  });

  it('exits 3 when a version is damaged, and flags it', async () => {
    const { versions } = await client.ok({ type: 'backup.versions', job: 'notes.txt' });
    const listed = (await client.ok({ type: 'backup.status' }))['jobs'][0];
    assert.equal(listed.damagedVersions, 0);
    const verified = await client.ok({ type: 'backup.verify' });
    const first = (verified['versions'] as { versionId: string; path: string }[]).find((version) => version.versionId === versions[1].id);
    assert.ok(first);
    await flipByte(first.path);
    await client.ok({ type: 'backup.verify' });
    const table = await safekeep('versions', 'notes.txt', '--port', String(port));
    assert.equal(table.code, 3, table.stderr);
    assert.match(table.stdout, / +1 .* DAMAGED: content-mismatch, found /);
    const status = await safekeep('status', '--port', String(port));
    assert.equal(status.code, 3);
    assert.match(status.stdout, /\n! notes\.txt: 1 damaged version, quarantined \(see: safekeep versions notes\.txt\)\n/);
  });

  it('status exits 3 when a job\'s last run failed, and says why', async () => {
    await rm(path.join(folder, 'notes.txt'));
    const reply = await client.call({ type: 'backup.run', job: 'notes.txt' });
    assert.equal(reply['ok'], false);
    const result = await safekeep('status', '--port', String(port));
    assert.equal(result.code, 3, result.stderr);
    assert.match(result.stdout, /\n! notes\.txt: the last run failed \d+ (ms|s) ago: .*\(code [A-Z_]+\)\n/);
  });

  it('exits 1 with a clear message when nothing listens', async () => {
    const result = await safekeep('status', '--port', String(await freePort()));
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^safekeep status: nothing is listening on 127\.0\.0\.1:\d+: is safekeep running there\?/);
  });

  it('exits 2 for a usage mistake', async () => {
    for (const args of [['versions'], ['status', 'extra'], ['status', '--timeout', 'soon'], ['status', '--port', 'x'], ['status', '--bogus']]) {
      const result = await safekeep(...args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^safekeep (status|versions): /);
    }
    const help = await safekeep('status', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit codes: 0 all good; 1 the service could not be reached/);
  });
});
