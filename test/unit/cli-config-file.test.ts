import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseConfigured, type ConfiguredParse } from '../../src/cli/configured-cli.ts';
import { configKeyOf, envNameOf, nearest } from '../../src/cli/config-keys.ts';
import { HELP } from '../../src/cli/cli-options.ts';
import { parseArgsLayered, type OptionLayers } from '../../src/cli/layered-parse-args.ts';
import { tempDir } from '../helpers/temp-dir.ts';

/** Writes `text` as a config file in a fresh folder; returns its path. */
async function configFile(text: string, name = 'safekeep.json'): Promise<string> {
  const file = path.join(await tempDir('safekeep-config'), name);
  await writeFile(file, text);
  return file;
}

function run(parsed: ConfiguredParse) {
  if (parsed.kind !== 'run') assert.fail(`expected a run, got ${JSON.stringify(parsed)}`);
  return parsed;
}

function errorOf(parsed: ConfiguredParse): string {
  if (parsed.kind !== 'error') assert.fail(`expected an error, got ${parsed.kind}`);
  return parsed.message;
}

describe('config file keys and values', () => {
  it('names keys by the long flags in camelCase and variables in upper snake case', () => {
    assert.equal(configKeyOf('data-dir'), 'dataDir');
    assert.equal(configKeyOf('max-unread-reply-bytes'), 'maxUnreadReplyBytes');
    assert.equal(envNameOf('data-dir'), 'SAFEKEEP_DATA_DIR');
    assert.equal(nearest('prot', ['port', 'host', 'dataDir']), 'port');
    assert.equal(nearest('zzzzzzzz', ['port', 'host']), undefined);
  });

  it('reads every kind of key: strings, numbers, switches, lists, retention, paths relative to the file', async () => {
    const file = await configFile(`{
      // comments are allowed, and trailing commas
      "port": 23456,
      "host": "127.0.0.2",
      "dataDir": "data",
      "backupDir": "/srv/backups",
      "source": ["notes.txt", "/abs/photos"],
      "allow": "restores",
      "exclude": ["*.tmp"],
      "interval": "5m",
      "keepLast": 10,
      "keepDaily": "7",
      "verifyCopies": true,
      "verbose": false,
      "idleTimeout": "2m",
      "replyTo": "127.0.0.1:12346",
    }`);
    const { config, configFile: used } = run(parseConfigured(['--config', file], '/elsewhere', {}));
    const base = path.dirname(file);
    assert.equal(used, file);
    assert.equal(config.port, 23456);
    assert.equal(config.host, '127.0.0.2');
    assert.equal(config.dataDir, path.join(base, 'data'));
    assert.equal(config.backupDir, '/srv/backups');
    assert.deepEqual(config.sources, [path.join(base, 'notes.txt'), '/abs/photos']);
    assert.deepEqual(config.allowedPaths, [path.join(base, 'restores')]);
    assert.deepEqual(config.excludes, ['*.tmp']);
    assert.equal(config.intervalMs, 5 * 60_000);
    assert.deepEqual(config.retention, { last: 10, daily: 7 });
    assert.equal(config.verifyCopies, true);
    assert.equal(config.verbose, false);
    assert.equal(config.idleTimeoutMs, 2 * 60_000);
    assert.deepEqual(config.replyTo, { host: '127.0.0.1', port: 12346 });
  });

  it('turns jobs into job specs, each with its own interval, excludes and keep rules, else the top level\'s', async () => {
    const file = await configFile(`{
      "interval": "1h",
      "keepLast": 3,
      "jobs": [
        {"source": "./notes.txt", "interval": "5m", "exclude": ["*.tmp"], "keepLast": 10},
        {"source": "photos", "keepDaily": 7}
      ]
    }`);
    const base = path.dirname(file);
    const { jobs } = run(parseConfigured(['--config', file], '/elsewhere', {}));
    assert.deepEqual(jobs, [
      { sourcePath: path.join(base, 'notes.txt'), intervalMs: 5 * 60_000, retention: { last: 10 }, excludes: ['*.tmp'] },
      { sourcePath: path.join(base, 'photos'), intervalMs: 60 * 60_000, retention: { daily: 7 }, excludes: [] },
    ]);
  });

  it('lets --source on the command line replace the file\'s jobs and sources', async () => {
    const file = await configFile('{"source": "a.txt", "jobs": [{"source": "b.txt"}]}');
    const { config, jobs } = run(parseConfigured(['--config', file, '--source', 'c.txt'], '/cwd', {}));
    assert.deepEqual(config.sources, ['/cwd/c.txt']);
    assert.deepEqual(jobs, []);
  });

  it('reads safekeep.json from the data directory when no --config is given', async () => {
    const dir = await tempDir('safekeep-config');
    await mkdir(path.join(dir, 'safekeep-data'));
    await writeFile(path.join(dir, 'safekeep-data', 'safekeep.json'), '{"port": 4567}');
    assert.equal(run(parseConfigured([], dir, {})).config.port, 4567);
    assert.equal(run(parseConfigured(['--data-dir', 'other'], dir, {})).config.port, 12345);
    assert.equal(run(parseConfigured([], dir, { SAFEKEEP_DATA_DIR: 'other' })).config.port, 12345);
    assert.equal(run(parseConfigured([], dir, {})).configFile, path.join(dir, 'safekeep-data', 'safekeep.json'));
  });

  it('says a named config file that is missing is missing', () => {
    assert.match(errorOf(parseConfigured(['--config', '/nowhere/x.json'], '/', {})), /config file \/nowhere\/x\.json: cannot be read \(not found\)/);
  });
});

describe('config file errors name the file, the line and the key', () => {
  it('suggests the nearest key for an unknown one', async () => {
    const file = await configFile('{\n  "port": 1,\n  "dataDri": "x"\n}');
    assert.equal(
      errorOf(parseConfigured(['--config', file], '/', {})),
      `config file ${file}, line 3, key "dataDri": is not a setting; did you mean "dataDir"? (keys are the long flags in camelCase: --data-dir is "dataDir")`,
    );
  });

  it('refuses a value of the wrong type', async () => {
    const file = await configFile('{\n  "verbose": "yes"\n}');
    assert.equal(errorOf(parseConfigured(['--config', file], '/', {})), `config file ${file}, line 2, key "verbose": must be true or false`);
    const list = await configFile('{\n\n  "exclude": [1]\n}');
    assert.match(errorOf(parseConfigured(['--config', list], '/', {})), /line 3, key "exclude": must be a list of strings/);
    const object = await configFile('{"port": {}}');
    assert.match(errorOf(parseConfigured(['--config', object], '/', {})), /line 1, key "port": must be a string or a number/);
  });

  it('refuses a bad value with the flag\'s own message', async () => {
    const file = await configFile('{\n  "host": "127.0.0.1",\n  "port": 70000\n}');
    assert.equal(errorOf(parseConfigured(['--config', file], '/', {})), `config file ${file}, line 3, key "port": '70000' is not a port number (0 to 65535)`);
    const interval = await configFile('{\n  "interval": "soon"\n}');
    assert.match(errorOf(parseConfigured(['--config', interval], '/', {})), /line 2, key "interval": 'soon' is not a time from 1s to a year/);
    const keep = await configFile('{"keepLast": 0}');
    assert.match(errorOf(parseConfigured(['--config', keep], '/', {})), /line 1, key "keepLast": '0' is not a whole number from 1/);
  });

  it('places a bad value in a job at its line', async () => {
    const file = await configFile('{\n  "jobs": [\n    {"source": "a"},\n    {"source": "b",\n     "interval": "-5"}\n  ]\n}');
    assert.equal(
      errorOf(parseConfigured(['--config', file], '/', {})),
      `config file ${file}, line 5, key "jobs[1].interval": '-5' is not a time from 1s to a year, such as 60, 30s, 5m or 1h`,
    );
    const unknown = await configFile('{"jobs": [{"source": "a", "intervall": "5m"}]}');
    assert.match(errorOf(parseConfigured(['--config', unknown], '/', {})), /key "jobs\[0\]\.intervall": is not a job setting; did you mean "interval"\?/);
    const sourceless = await configFile('{"jobs": [\n{"interval": "5m"}]}');
    assert.match(errorOf(parseConfigured(['--config', sourceless], '/', {})), /line 2, key "jobs\[0\]": needs "source"/);
    const notList = await configFile('{"jobs": {"source": "a"}}');
    assert.match(errorOf(parseConfigured(['--config', notList], '/', {})), /key "jobs": must be a list of jobs/);
  });

  it('gives the line and column of a JSON syntax error', async () => {
    const file = await configFile('{\n  "port": 1\n  "host": "x"\n}');
    assert.equal(errorOf(parseConfigured(['--config', file], '/', {})), `config file ${file}, line 3, column 3: JSON syntax error (CommaExpected)`);
    const notObject = await configFile('[1]');
    assert.match(errorOf(parseConfigured(['--config', notObject], '/', {})), /must hold one JSON object/);
  });

  it('refuses a key given twice, rather than silently keeping the last', async () => {
    const file = await configFile('{\n  "port": 1,\n  "port": 2\n}');
    assert.equal(errorOf(parseConfigured(['--config', file], '/', {})), `config file ${file}, line 3, key "port": is given twice (also on line 2)`);
    const job = await configFile('{"jobs": [{"source": "a",\n "source": "b"}]}');
    assert.match(errorOf(parseConfigured(['--config', job], '/', {})), /line 2, key "jobs\[0\]\.source": is given twice \(also on line 1\)/);
  });

  it('refuses a config file that names another', async () => {
    const file = await configFile('{"config": "other.json"}');
    assert.match(errorOf(parseConfigured(['--config', file], '/', {})), /key "config": a config file cannot name another one/);
  });
});

describe('environment and precedence', () => {
  it('reads SAFEKEEP_<FLAG> for single-valued flags, switches as true/false', () => {
    const { config } = run(parseConfigured([], '/cwd', { SAFEKEEP_PORT: '3456', SAFEKEEP_DATA_DIR: 'd', SAFEKEEP_VERIFY_COPIES: 'yes', SAFEKEEP_VERBOSE: '0' }));
    assert.equal(config.port, 3456);
    assert.equal(config.dataDir, '/cwd/d');
    assert.equal(config.verifyCopies, true);
    assert.equal(config.verbose, false);
  });

  it('treats an empty variable as unset', () => {
    assert.equal(run(parseConfigured([], '/cwd', { SAFEKEEP_PORT: '' })).config.port, 12345);
  });

  it('names the variable of a bad value', () => {
    assert.equal(errorOf(parseConfigured([], '/cwd', { SAFEKEEP_PORT: 'abc' })), "SAFEKEEP_PORT: 'abc' is not a port number (0 to 65535)");
    assert.match(errorOf(parseConfigured([], '/cwd', { SAFEKEEP_VERBOSE: 'maybe' })), /^SAFEKEEP_VERBOSE must be true or false/);
  });

  it('takes flags over env over file over defaults', async () => {
    const file = await configFile('{"port": 1111, "host": "127.0.0.3", "interval": "1h", "shutdownGrace": "9s"}');
    const env = { SAFEKEEP_PORT: '2222', SAFEKEEP_HOST: '127.0.0.4' };
    const { config } = run(parseConfigured(['--config', file, '--port', '3333'], '/', env));
    assert.equal(config.port, 3333); // flag
    assert.equal(config.host, '127.0.0.4'); // env
    assert.equal(config.intervalMs, 60 * 60_000); // file
    assert.equal(config.shutdownGraceMs, 9_000); // file
    assert.equal(config.maxConnections, 1024); // default
  });

  it('reads the file SAFEKEEP_CONFIG names, relative to the working directory', async () => {
    const file = await configFile('{"port": 5678}');
    assert.equal(run(parseConfigured([], path.dirname(file), { SAFEKEEP_CONFIG: 'safekeep.json' })).config.port, 5678);
  });

  it('blames the command line, not the file, for a bad flag', async () => {
    const file = await configFile('{"port": 1}');
    assert.equal(errorOf(parseConfigured(['--config', file, '--port', 'x'], '/', {})), "--port 'x' is not a port number (0 to 65535)");
  });

  it('answers --help without reading a broken file', async () => {
    const file = await configFile('{ broken');
    assert.equal(parseConfigured(['--config', file, '--help'], '/', {}).kind, 'help');
    assert.match(HELP, /--config FILE/);
  });
});

describe('the layers follow the option table', () => {
  it('makes a flag added to the table a config key and a variable, with no other change', async () => {
    const file = await configFile('{"logLevel": "debug", "onFailure": "notify-send failed", "tags": ["a", "b"]}');
    const options = {
      config: { type: 'string' },
      'log-level': { type: 'string' },
      'on-failure': { type: 'string' },
      'log-file': { type: 'string' },
      tags: { type: 'string', multiple: true },
    } as const;
    const layers: OptionLayers = { cwd: '/work', env: { SAFEKEEP_ON_FAILURE: 'logger failed', SAFEKEEP_LOG_FILE: 'x.log' } };
    const { values } = parseArgsLayered(layers, { args: ['--config', file], options, strict: true });
    assert.deepEqual({ ...values }, { config: file, 'log-level': 'debug', 'on-failure': 'logger failed', 'log-file': 'x.log', tags: ['a', 'b'] });
    assert.deepEqual(layers.found?.origins.get('on-failure'), { kind: 'env', variable: 'SAFEKEEP_ON_FAILURE' });
    assert.deepEqual(layers.found?.origins.get('log-level'), { kind: 'file', file, key: 'logLevel', line: 1 });
  });

  it('is exactly parseArgs without layers', () => {
    const { values } = parseArgsLayered(undefined, { args: [], options: { port: { type: 'string' } } });
    assert.deepEqual({ ...values }, {});
  });
});
