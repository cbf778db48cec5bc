import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { LogAdapter } from '../../adapters/log/log-adapter.ts';
import { LogDrops } from '../../adapters/log/log-drops.ts';
import { LogFile } from '../../adapters/log/log-file.ts';
import { Bus } from '../../src/bus/bus.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import { logSettings } from '../../src/host/log-settings.ts';
import type { LogOptions } from '../../src/host/host-options.ts';
import { Secret } from '../../src/secret/secret.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const NOW = Date.parse('2026-11-24T09:00:01Z');

function terminal(isTTY: boolean) {
  const out = Object.assign(new PassThrough({ encoding: 'utf8' }), { isTTY });
  let text = '';
  out.on('data', (chunk: string) => (text += chunk));
  return { out, text: () => text };
}

async function adapterOn(options: LogOptions, isTTY = false) {
  const bus = new Bus();
  const clock = new VirtualClock(NOW);
  const screen = terminal(isTTY);
  const adapter = new LogAdapter({ ...logSettings({ out: screen.out, ...options }), clock });
  await adapter.start(bus);
  return { bus, clock, adapter, text: screen.text };
}

const progress = (bytesDone: number, at: number) => ({ jobId: 'big.iso', runId: 'run1', bytesDone, totalBytes: 4 * 1024 * 1024, bytesPerSecond: 1024 * 1024, at });

describe('log format selection', () => {
  it('is pretty on a stream and JSON in a file, at info, unless told otherwise', () => {
    const out = new PassThrough();
    assert.deepEqual(logSettings({ out }), { format: 'pretty', level: 'info', out });
    assert.deepEqual(logSettings({ out, file: '/l.log' }), { format: 'json', level: 'info', file: '/l.log', out });
    assert.equal(logSettings({ out, file: '/l.log', format: 'pretty' }).format, 'pretty');
    assert.equal(logSettings({ out, format: 'json', level: 'trace' }).level, 'trace');
    assert.equal(logSettings({}).out, process.stderr);
  });
});

describe('log adapter', () => {
  it('writes short pretty lines: clock time, level, the sentence, nothing else', async () => {
    const { bus, adapter, text } = await adapterOn({ level: 'debug' });
    await bus.emit('backup.paused', { jobId: 'notes.txt' });
    await bus.emit('connection.opened', { connectionId: 'c1', remoteAddress: '127.0.0.1', remotePort: 5000 });
    await adapter.stop();
    const lines = text().split('\n').filter(Boolean);
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^\d\d:\d\d:01 INFO: \[notes\.txt\] paused$/);
    assert.match(lines[1]!, /^\d\d:\d\d:01 DEBUG: connection c1 from 127\.0\.0\.1:5000$/);
  });

  it('writes JSON lines with the level as a label, the ISO time of its clock, the event and the ids', async () => {
    const { bus, adapter, text } = await adapterOn({ format: 'json' });
    await bus.emit('backup.failed', { jobId: 'notes.txt', runId: 'r1', at: NOW, error: { code: 'SOURCE_MISSING', message: 'gone' }, attempt: 1, requestIds: [] });
    await bus.emit('backup.scheduled', { jobId: 'notes.txt', dueAt: NOW, attempt: 1 }); // debug: below info
    await adapter.stop();
    const records = text().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(records.length, 1);
    assert.deepEqual(
      { level: records[0]!['level'], time: records[0]!['time'], event: records[0]!['event'], jobId: records[0]!['jobId'], runId: records[0]!['runId'], code: records[0]!['code'] },
      { level: 'error', time: '2026-11-24T09:00:01.000Z', event: 'backup.failed', jobId: 'notes.txt', runId: 'r1', code: 'SOURCE_MISSING' },
    );
    assert.equal(records[0]!['msg'], '[notes.txt] failed (SOURCE_MISSING): gone [failure 1 in a row]');
  });

  it('builds no record for an event whose records the level drops (a connection at info): it does not even read the payload', async () => {
    const { bus, adapter, text } = await adapterOn({ level: 'info', format: 'json' });
    let reads = 0;
    const payload = {
      get connectionId() {
        reads++;
        return 'c1';
      },
      remoteAddress: '127.0.0.1',
      remotePort: 5000,
    };
    await bus.emit('connection.opened', payload);
    await bus.emit('backup.scheduled', { jobId: 'n', dueAt: NOW, attempt: 0 });
    await bus.emit('backup.paused', { jobId: 'n' });
    await adapter.stop();
    assert.equal(reads, 0);
    assert.deepEqual(text().trim().split('\n').map((line) => (JSON.parse(line) as { event: string }).event), ['backup.paused']);
  });

  it('says nothing at silent', async () => {
    const { bus, adapter, text } = await adapterOn({ level: 'silent' });
    await bus.emit('backup.failed', { jobId: 'n', runId: 'r1', at: NOW, error: { code: 'X', message: 'x' }, attempt: 1, requestIds: [] });
    await adapter.stop();
    assert.equal(text(), '');
  });

  it('colours lines on a terminal and rewrites one progress line in place, wiping it before the next line', async () => {
    const { bus, adapter, text } = await adapterOn({}, true);
    await bus.emit('backup.progress', progress(1024 * 1024, NOW));
    await bus.emit('backup.progress', progress(2 * 1024 * 1024, NOW + 500));
    await bus.emit('backup.paused', { jobId: 'notes.txt' });
    await adapter.stop();
    const written = text().replace(/\d\d:\d\d:\d\d/g, 'HH:MM:SS');
    assert.equal(
      written,
      '\rHH:MM:SS \x1b[32mINFO\x1b[39m: \x1b[36m[big.iso] copying: 25% (1.0 of 4.0 MiB, 1.0 MiB/s)\x1b[39m\x1b[K' +
        '\rHH:MM:SS \x1b[32mINFO\x1b[39m: \x1b[36m[big.iso] copying: 50% (2.0 of 4.0 MiB, 1.0 MiB/s)\x1b[39m\x1b[K' +
        '\r\x1b[KHH:MM:SS \x1b[32mINFO\x1b[39m: \x1b[36m[notes.txt] paused\x1b[39m\n',
    );
  });

  it('writes a copy’s progress to a log at most every 10 s per run', async () => {
    const { bus, adapter, text } = await adapterOn({ format: 'json' });
    for (const at of [0, 2_000, 9_999, 10_000, 15_000, 20_001]) await bus.emit('backup.progress', progress(1024, NOW + at));
    await adapter.stop();
    const records = text().split('\n').filter(Boolean).map((line) => JSON.parse(line) as { event: string; runId: string });
    assert.equal(records.length, 3);
    assert.ok(records.every((record) => record.event === 'backup.progress' && record.runId === 'run1'));
  });

  it('appends to a log file created 0640, reopens it on SIGHUP, and flushes on stop', async () => {
    {
      const dir = await tempDir();
      const file = path.join(dir, 'logs', 'safekeep.log');
      const { bus, adapter } = await adapterOn({ file, level: 'debug' });
      await bus.emit('backup.paused', { jobId: 'a' });
      assert.equal((await stat(file)).mode & 0o777, 0o640);
      await rename(file, `${file}.1`);
      process.emit('SIGHUP', 'SIGHUP');
      await bus.emit('backup.resumed', { jobId: 'a' });
      await adapter.stop();
      assert.match(await readFile(`${file}.1`, 'utf8'), /"event":"backup.paused"/);
      const after = (await readFile(file, 'utf8')).trim().split('\n');
      assert.equal(after.length, 1);
      assert.match(after[0]!, /"event":"backup.resumed"/);
    }
  });

  it('refuses a log file it cannot open, with the reason', async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, 'a-file'), '');
    await assert.rejects(adapterOn({ file: path.join(dir, 'a-file', 'x.log') }), /ENOTDIR|EEXIST/);
  });
});

describe('a log that cannot be written', () => {
  for (const format of ['json', 'pretty'] as const) {
    it(`drops records to a full disk (${format}) without throwing into the bus, and says so once on stderr`, async () => {
      const screen = terminal(false);
      const bus = new Bus({ onListenerError: (error) => assert.fail(`a subscriber threw: ${String(error)}`) });
      const adapter = new LogAdapter({ ...logSettings({ out: screen.out, file: '/dev/full', format }), clock: new VirtualClock(NOW) });
      await adapter.start(bus);
      for (let i = 0; i < 5; i++) await bus.emit('backup.paused', { jobId: `j${i}` });
      await adapter.stop();
      assert.equal(screen.text(), 'safekeep: cannot write the log file /dev/full (ENOSPC): dropping log records until it can\n');
    });
  }

  it('ignores a record written to the file after the stop closed it', async () => {
    const dir = await tempDir();
    const said: string[] = [];
    const file = new LogFile(path.join(dir, 'x.log'), new LogDrops('the log file x.log', (line) => said.push(line)));
    file.end();
    await new Promise((resolve) => file.once('finish', resolve));
    file.write('late\n');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await readFile(path.join(dir, 'x.log'), 'utf8'), '');
    // Node reports a write to a finished stream to its callback, or as 'error' (then told here): never unhandled.
    assert.ok(said.length <= 1);
  });

  it('says when writing works again, with how many records were dropped', () => {
    const lines: string[] = [];
    const drops = new LogDrops('the log file /l.log', (line) => lines.push(line));
    drops.wrote();
    drops.failed(Object.assign(new Error('no space'), { code: 'ENOSPC' }));
    drops.failed(new Error('no space'));
    drops.failed('no space');
    drops.wrote();
    drops.wrote();
    drops.failed(new Error('EIO: i/o error'));
    drops.wrote();
    assert.deepEqual(lines, [
      'safekeep: cannot write the log file /l.log (ENOSPC): dropping log records until it can\n',
      'safekeep: writing the log file /l.log again; 3 log records were dropped\n',
      'safekeep: cannot write the log file /l.log (EIO: i/o error): dropping log records until it can\n',
      'safekeep: writing the log file /l.log again; 1 log record was dropped\n',
    ]);
  });

  it('drops a record whose stream throws, and goes on with the next', async () => {
    let fail = true;
    let written = '';
    const said: string[] = [];
    // A stream whose write throws (as one written after it was destroyed does); the notices go to it too, caught apart.
    const out = new PassThrough();
    out.write = ((chunk: string) => {
      if (chunk.startsWith('safekeep: ')) said.push(chunk);
      else if (fail) throw Object.assign(new Error('gone'), { code: 'EPIPE' });
      else written += chunk;
      return true;
    }) as typeof out.write;
    const bus = new Bus({ onListenerError: (error) => assert.fail(`a subscriber threw: ${String(error)}`) });
    const adapter = new LogAdapter({ ...logSettings({ out, format: 'json' }), clock: new VirtualClock(NOW) });
    await adapter.start(bus);
    await bus.emit('backup.paused', { jobId: 'a' });
    await bus.emit('backup.paused', { jobId: 'b' });
    fail = false;
    await bus.emit('backup.paused', { jobId: 'c' });
    await adapter.stop();
    assert.match(written, /"jobId":"c"/);
    assert.doesNotMatch(written, /"jobId":"[ab]"/);
    assert.deepEqual(said, ['safekeep: cannot write the log (EPIPE): dropping log records until it can\n', 'safekeep: writing the log again; 2 log records were dropped\n']);
  });
});

describe('log destination', () => {
  it('redacts password, token, body and text fields at the top and one level down', async () => {
    const { logDestination } = await import('../../adapters/log/log-destination.ts');
    const screen = terminal(false);
    const drops = new LogDrops('the log', () => {});
    const { logger } = logDestination({ format: 'json', level: 'info', out: screen.out, clock: new VirtualClock(NOW), drops });
    logger.info({ password: 'hunter2', nested: { token: 'tok-123', body: { a: 1 } }, text: 'entry hunter2', secret: new Secret('s3cr3t') }, 'x');
    assert.doesNotMatch(screen.text(), /hunter2|tok-123|s3cr3t|"a":1/);
    assert.match(screen.text(), /\[redacted\]/);
  });
});
