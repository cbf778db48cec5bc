import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { tempDir } from '../helpers/temp-dir.ts';
import { collect, startTestHost, writeSource } from '../helpers/host-harness.ts';

const MINUTE = 60_000;

function sink() {
  const out = new PassThrough({ encoding: 'utf8' });
  let text = '';
  out.on('data', (chunk: string) => (text += chunk));
  return { out, text: () => text };
}

describe('an embedded host with HostOptions.log', () => {
  it('logs JSON records on its own clock next to the older console lines, and stops the log last', async () => {
    const root = await tempDir('host-log');
    const source = await writeSource(root, 'notes.json', '{"v":1}');
    const log = sink();
    const console = sink();
    const { host, clock } = await startTestHost(path.join(root, 'data'), {
      jobs: [{ sourcePath: source, intervalMs: MINUTE }],
      log: { out: log.out, format: 'json', level: 'debug' },
      console: { out: console.out },
    });
    const completed = collect(host, 'backup.completed');
    clock.advance(0);
    const run = await completed.next();
    await host.request('backup.status', {});
    await host.stop();

    const records = log.text().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    const done = records.find((record) => record['event'] === 'backup.completed');
    assert.deepEqual(
      [done?.['level'], done?.['jobId'], done?.['runId'], done?.['versionId'], done?.['time']],
      ['info', 'notes.json', run.runId, run.version.id, new Date(clock.now()).toISOString()],
    );
    const status = records.find((record) => record['event'] === 'request.settled');
    assert.deepEqual([status?.['level'], status?.['type'], status?.['outcome'], status?.['dialect']], ['debug', 'backup.status', 'ok', 'in-process']);
    // Stopped after the rest of the host, so the stop's own record is there.
    assert.equal(records.at(-1)?.['event'], 'host.stopping');
    assert.match(console.text(), /\[notes\.json\] done/);
  });
});
