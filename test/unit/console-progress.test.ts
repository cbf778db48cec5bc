import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { ConsoleReporter } from '../../adapters/console/console-reporter.ts';
import type { BackupProgress } from '../../src/backup/events.ts';
import { Bus } from '../../src/bus/bus.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';

const MiB = 1024 * 1024;
const START = Date.parse('2026-11-24T09:00:00Z');

async function reporterOn({ tty }: { tty: boolean }) {
  const bus = new Bus();
  const out = Object.assign(new PassThrough({ encoding: 'utf8' }), { isTTY: tty });
  let text = '';
  out.on('data', (chunk: string) => (text += chunk));
  const clock = new VirtualClock(START);
  const reporter = new ConsoleReporter({ out, clock, verbose: false });
  await reporter.start(bus);
  return { bus, clock, reporter, text: () => text };
}

function progress(secondsIn: number, mib: number): BackupProgress {
  return { jobId: 'disk.img', runId: 'disk.img#1', bytesDone: mib * MiB, totalBytes: 512 * MiB, bytesPerSecond: (mib / secondsIn) * MiB, at: START + secondsIn * 1000 };
}

describe('console progress', () => {
  it('on a terminal, rewrites one progress line in place and wipes it before the next line', async () => {
    const { bus, clock, reporter, text } = await reporterOn({ tty: true });
    clock.advance(1000);
    await bus.emit('backup.progress', progress(1, 128));
    clock.advance(500);
    await bus.emit('backup.progress', progress(1.5, 192));
    await bus.emit('backup.failed', { jobId: 'disk.img', runId: 'disk.img#1', at: 0, error: { code: 'COPY_ABORTED', message: 'The copy was stopped' }, attempt: 1, requestIds: [] });
    assert.equal(
      text(),
      '\r2026-11-24T09:00:01.000Z [disk.img] copying: 25% (128.0 of 512.0 MiB, 128.0 MiB/s)\x1b[K' +
        '\r2026-11-24T09:00:01.500Z [disk.img] copying: 37% (192.0 of 512.0 MiB, 128.0 MiB/s)\x1b[K' +
        '\r\x1b[K2026-11-24T09:00:01.500Z [disk.img] failed (COPY_ABORTED): The copy was stopped [failure 1 in a row]\n',
    );
    await reporter.stop();
  });

  it('ends a progress line still showing when it stops, so the shell prompt starts on its own line', async () => {
    const { bus, reporter, text } = await reporterOn({ tty: true });
    await bus.emit('backup.progress', progress(1, 64));
    await reporter.stop();
    assert.ok(text().endsWith('\x1b[K\n'));
  });

  it('in a log, writes a progress line every 10 seconds of a copy, each on its own line', async () => {
    const { bus, reporter, text } = await reporterOn({ tty: false });
    for (let half = 2; half <= 46; half++) await bus.emit('backup.progress', progress(half / 2, half * 4));
    const lines = text().split('\n').filter(Boolean);
    assert.deepEqual(
      lines.map((line) => line.replace(/^\S+ /, '')),
      [
        '[disk.img] copying: 1% (8.0 of 512.0 MiB, 8.0 MiB/s)',
        '[disk.img] copying: 17% (88.0 of 512.0 MiB, 8.0 MiB/s)',
        '[disk.img] copying: 32% (168.0 of 512.0 MiB, 8.0 MiB/s)',
      ],
    );
    assert.ok(!text().includes('\r'));
    await reporter.stop();
  });
});
