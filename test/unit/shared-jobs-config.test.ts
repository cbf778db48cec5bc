import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseConfigured, type ConfiguredParse } from '../../src/cli/configured-cli.ts';
import { tempDir } from '../helpers/temp-dir.ts';

async function configFile(text: string): Promise<string> {
  const file = path.join(await tempDir('shared-jobs-config'), 'safekeep.json');
  await writeFile(file, text);
  return file;
}

function jobsOf(parsed: ConfiguredParse) {
  if (parsed.kind !== 'run') assert.fail(`expected a run, got ${JSON.stringify(parsed)}`);
  return parsed.jobs;
}

function errorOf(parsed: ConfiguredParse): string {
  if (parsed.kind !== 'error') assert.fail(`expected an error, got ${parsed.kind}`);
  return parsed.message;
}

describe('"shared" on a config file job (a cluster job whose source every node sees)', () => {
  it('marks the job shared with --cluster; false or absent leaves it a node\'s own', async () => {
    const file = await configFile(`{
      "cluster": "nats://127.0.0.1:4222",
      "jobs": [
        {"source": "/mnt/shared/a.txt", "shared": true},
        {"source": "/mnt/shared/b.txt", "shared": false},
        {"source": "/home/c.txt"}
      ]
    }`);
    const jobs = jobsOf(parseConfigured(['--config', file], '/', {}));
    assert.deepEqual(
      jobs.map((job) => [job.sourcePath, job.shared ?? false]),
      [
        ['/mnt/shared/a.txt', true],
        ['/mnt/shared/b.txt', false],
        ['/home/c.txt', false],
      ],
    );
  });

  it('refuses "shared": true without --cluster, at its line', async () => {
    const file = await configFile('{\n  "jobs": [\n    {"source": "/a",\n     "shared": true}\n  ]\n}');
    assert.equal(errorOf(parseConfigured(['--config', file], '/', {})), `config file ${file}, line 4, key "jobs[0].shared": needs --cluster: a shared source only means something in a cluster`);
  });

  it('refuses a "shared" that is not true or false, and suggests it for a typo', async () => {
    const wrong = await configFile('{"cluster": "nats://127.0.0.1:4222", "jobs": [{"source": "/a", "shared": "yes"}]}');
    assert.match(errorOf(parseConfigured(['--config', wrong], '/', {})), /key "jobs\[0\]\.shared": must be true or false/);
    const typo = await configFile('{"jobs": [{"source": "/a", "shard": true}]}');
    assert.match(errorOf(parseConfigured(['--config', typo], '/', {})), /key "jobs\[0\]\.shard": is not a job setting; did you mean "shared"\?/);
  });
});
