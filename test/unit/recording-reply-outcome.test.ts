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
