import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { spawnSafekeep } from '../helpers/safekeep-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { TestClient } from '../helpers/test-client.ts';
import { JsonClient } from '../helpers/json-client.ts';

type LogLine = Record<string, unknown> & { level: string; event: string; msg: string; time: string };

describe('a log file of JSON lines (--log-format json --log-file)', () => {
  it('holds one record per event with its level, event name and ids, and per-request lines at debug', async () => {
    const root = await tempDir('log-file');
    const logFile = path.join(root, 'logs', 'safekeep.log');
    await writeFile(path.join(root, 'notes.txt'), 'hello');
    const server = spawnSafekeep(['--source', 'notes.txt', '--interval', '1h', '--port', '0', '--log-level', 'debug', '--log-format', 'json', '--log-file', logFile], root);
    try {
      const port = await server.port();
      const text = await TestClient.connect(port);
      text.send('backup\n');
      await text.lines(1);
      text.send('frobnicate\n');
      await text.lines(1);
      text.destroy();
      const json = await JsonClient.connect(port);
      await json.ok({ type: 'backup.status', id: 7 });
      json.close();
    } finally {
      assert.equal((await server.stop()).code, 0);
    }

    assert.equal((await stat(logFile)).mode & 0o777, 0o640);
    // Nothing of the log on the console: the file has it all.
    assert.doesNotMatch(server.stderr, /\[notes\.txt\] done/);
    const records = (await readFile(logFile, 'utf8')).trim().split('\n').map((line) => JSON.parse(line) as LogLine);
    for (const record of records) {
      assert.match(record.level, /^(debug|info|warn|error)$/);
      assert.equal(typeof record.event, 'string');
      assert.ok(!Number.isNaN(Date.parse(record.time)));
    }
    const of = (event: string) => records.filter((record) => record.event === event);

    assert.equal(of('host.started')[0]?.level, 'info');
    const done = of('backup.completed');
    assert.ok(done.length >= 1);
    assert.equal(done[0]?.level, 'info');
    assert.equal(done[0]?.jobId, 'notes.txt');
    assert.match(String(done[0]?.runId), /./);
    assert.match(String(done[0]?.versionId), /^notes\.txt@/);
    assert.match(done[0]!.msg, /^\[notes\.txt\] done/);
    // The copy's start shares the run id of its outcome.
    assert.ok(of('backup.copy.started').some((record) => record.runId === done.at(-1)?.runId && record.level === 'debug'));
    assert.ok(of('backup.scheduled').every((record) => record.level === 'debug' && record.jobId === 'notes.txt'));

    const opened = of('connection.opened');
    assert.equal(opened.length, 2);
    const requests = of('reply.sent');
    assert.deepEqual(
      requests.map((record) => [record.type, record.outcome, record.code ?? null, record.level]),
      [
        ['backup.run', 'ok', null, 'debug'],
        ['invalid', 'error', 'INVALID_REQUEST', 'debug'],
        ['backup.status', 'ok', null, 'debug'],
      ],
    );
    for (const record of requests) {
      assert.equal(typeof record.requestId, 'string');
      assert.ok(opened.some((open) => open.connectionId === record.connectionId));
      assert.equal(typeof record.durationMs, 'number');
    }
    // At debug, no trace records (the store's commands).
    assert.equal(of('store.command').length, 0);
    assert.equal(of('host.stopping')[0]?.level, 'info');
  });
});
