import assert from 'node:assert/strict';
import { test } from 'node:test';
import { calendarFor, localCalendar, localTimeZoneName, utcCalendar, zonedCalendar } from '../../src/backup/retention-calendar.ts';
import { resolveHostOptions } from '../../src/host/host-options.ts';
import { recordingHeader } from '../../src/replay/recording-file.ts';

// 2026-03-29 00:30 UTC: 01:30 in London (still GMT), 02:30 in Berlin (already summer time, the clocks jumped at 02:00 local).
const AT = Date.UTC(2026, 2, 29, 0, 30);

test('a named zone reads times on that zone\'s clock face, summer time included', () => {
  assert.deepEqual(zonedCalendar('Europe/London')(AT), { year: 2026, month: 3, day: 29, hour: 0 });
  assert.deepEqual(zonedCalendar('Europe/Berlin')(AT), { year: 2026, month: 3, day: 29, hour: 1 });
  assert.deepEqual(zonedCalendar('America/New_York')(AT), { year: 2026, month: 3, day: 28, hour: 20 });
  assert.deepEqual(zonedCalendar('UTC')(AT), utcCalendar(AT));
});

test('local and utc keep their own calendars; an unknown zone name is refused', () => {
  assert.equal(calendarFor('local'), localCalendar);
  assert.equal(calendarFor('utc'), utcCalendar);
  assert.throws(() => calendarFor('Mars/Olympus_Mons'), RangeError);
});

test('a recording names the zone `local` stood for, so a replay elsewhere buckets the same way', () => {
  const local = recordingHeader(resolveHostOptions({ dataDir: '/tmp/x' }));
  assert.equal(local.host.retentionTimeZone, localTimeZoneName());
  assert.deepEqual(zonedCalendar(local.host.retentionTimeZone as string)(AT), localCalendar(AT));
  const utc = recordingHeader(resolveHostOptions({ dataDir: '/tmp/x', retentionTimeZone: 'utc' }));
  assert.equal(utc.host.retentionTimeZone, 'utc');
});
