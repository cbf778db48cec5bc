import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { RecordingFormatError, readRecording } from '../../src/replay/read-recording.ts';

const RECORDING = new URL('../recordings/seed-backup-client.ndjson', import.meta.url);

describe('recordings from before replies said their outcome', () => {
  it('reads a recording whose replies carry their outcome', async () => {
    const text = await readFile(RECORDING, 'utf8');
    assert.ok(text.includes('"outcome":{"dialect":"text","type":"backup.revert","code":null'));
    assert.ok(readRecording(text).steps.length > 10);
  });

  it('refuses one whose replies do not, saying why, rather than diverging at its first reply', async () => {
    const older = (await readFile(RECORDING, 'utf8')).replace(/,"outcome":\{[^}]*\}/g, '');
    assert.ok(older.includes('"name":"reply.ready"'));
    assert.throws(
      () => readRecording(older),
      (error: unknown) => error instanceof RecordingFormatError && /older safekeep/.test(error.message) && /outcome/.test(error.message),
    );
  });
});

describe('recordings from before the book added entries from what the node held', () => {
  const BOOK = new URL('../recordings/seed-book-client.ndjson', import.meta.url);

  it('reads a recording whose entry adds read with allowStale', async () => {
    const text = await readFile(BOOK, 'utf8');
    assert.ok(text.includes('"allowStale":true'));
    assert.ok(readRecording(text).steps.length > 10);
  });

  it('refuses one whose adds read the latest, saying why, rather than diverging at its first add', async () => {
    const older = (await readFile(BOOK, 'utf8')).replaceAll(',"allowStale":true', '');
    assert.notEqual(older, await readFile(BOOK, 'utf8'));
    assert.throws(
      () => readRecording(older),
      (error: unknown) => error instanceof RecordingFormatError && /older safekeep/.test(error.message) && /allowStale/.test(error.message),
    );
  });

  it('reads one with no entry add and no allowStale (a backup session), and one whose only book batch is a migration (entries, then the user record)', async () => {
    const backup = await readFile(RECORDING, 'utf8');
    assert.ok(!backup.includes('allowStale'));
    assert.ok(readRecording(backup).steps.length > 10);
    const [header, ...rest] = backup.split('\n');
    const migration = JSON.stringify({
      seq: 1,
      time: 1,
      correlation: 'cmd_m.1',
      kind: 'event',
      name: 'store.command',
      payload: { op: 'batch', writes: [{ op: 'put', collection: 'book.entries', key: 'k', value: {} }, { op: 'put', collection: 'book.users', key: 'ann', value: {} }], commandId: 'cmd_m.1' },
    });
    assert.doesNotThrow(() => readRecording([header, migration, ...rest.slice(1)].join('\n')));
  });
});
