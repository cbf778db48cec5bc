import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BUILT_ARGV, builtServices, run, type SafekeepProcess } from '../helpers/safekeep-process.ts';
import { freePort } from '../helpers/free-port.ts';
import { JsonClient } from '../helpers/json-client.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const startBuilt = builtServices();

describe('the service configured by a file and the environment (built command)', () => {
  it('starts from --config alone: the file\'s port, data directory and jobs, paths relative to the file', async () => {
    const folder = await tempDir('config-e2e');
    await writeFile(path.join(folder, 'notes.txt'), 'notes\n');
    await mkdir(path.join(folder, 'conf'));
    const port = await freePort();
    await writeFile(
      path.join(folder, 'conf', 'safekeep.json'),
      `{
        // what the flags would say, plus jobs
        "port": ${port},
        "dataDir": "data",
        "jobs": [{"source": "../notes.txt", "interval": "1h", "keepLast": 2}]
      }`,
    );
    const service = startBuilt(['--config', 'conf/safekeep.json'], folder);
    assert.equal(await service.port(), port);
    assert.ok((await stat(path.join(folder, 'conf', 'data'))).isDirectory());
    const client = await JsonClient.connect(port);
    try {
      const status = await client.ok({ type: 'backup.status' });
      assert.deepEqual(
        status['jobs'].map((job: { id: string; source: string; intervalMs: number }) => [job.id, job.source, job.intervalMs]),
        [['notes.txt', path.join(folder, 'notes.txt'), 3_600_000]],
      );
    } finally {
      client.close();
    }
    assert.equal((await service.stop()).code, 0);
  });

  it('picks up safekeep.json in the data directory, and the environment wins over it', async () => {
    const folder = await tempDir('config-e2e');
    await mkdir(path.join(folder, 'safekeep-data'));
    const [filePort, envPort] = [await freePort(), await freePort()];
    await writeFile(path.join(folder, 'safekeep-data', 'safekeep.json'), JSON.stringify({ port: filePort }));
    const service = startBuilt([], folder);
    assert.equal(await service.port(), filePort);
    assert.match(service.stderr, new RegExp(`safekeep: settings from ${path.join(folder, 'safekeep-data', 'safekeep.json').replaceAll('/', '\\/')}\n`));
    await service.stop();

    // The child inherits the environment as it is at spawn, synchronously: set for this one start only.
    process.env['SAFEKEEP_PORT'] = String(envPort);
    let fromEnv: SafekeepProcess;
    try {
      fromEnv = startBuilt([], folder);
    } finally {
      delete process.env['SAFEKEEP_PORT'];
    }
    assert.equal(await fromEnv.port(), envPort);
    await fromEnv.stop();

    const flagWins = await run(process.execPath, [...BUILT_ARGV, '--port', 'x'], { cwd: folder, env: { ...process.env, SAFEKEEP_PORT: String(envPort) } });
    assert.equal(flagWins.code, 2, 'the flag still wins, and is blamed');
    assert.match(flagWins.stderr, /safekeep: --port 'x' is not a port number/);
  });

  it('exits 2 naming the file, line and key of a bad setting', async () => {
    const folder = await tempDir('config-e2e');
    await writeFile(path.join(folder, 'bad.json'), '{\n  "port": 1,\n  "intreval": "5m"\n}');
    const result = await run(process.execPath, [...BUILT_ARGV, '--config', 'bad.json'], { cwd: folder });
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`config file ${path.join(folder, 'bad.json').replaceAll('/', '\\/')}, line 3, key "intreval": is not a setting; did you mean "interval"\\?`));
    await writeFile(path.join(folder, 'syntax.json'), '{"port": 1,,}');
    const syntax = await run(process.execPath, [...BUILT_ARGV, '--config', 'syntax.json'], { cwd: folder });
    assert.equal(syntax.code, 2);
    assert.match(syntax.stderr, /line 1, column 12: JSON syntax error/);
  });

  it('exits 2 naming the variable of a bad environment value', async () => {
    const folder = await tempDir('config-e2e');
    const result = await run(process.execPath, [...BUILT_ARGV], { cwd: folder, env: { ...process.env, SAFEKEEP_MAX_CONNECTIONS: 'many' } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /safekeep: SAFEKEEP_MAX_CONNECTIONS: 'many' is not a whole number/);
  });
});
