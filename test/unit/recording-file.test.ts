import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { openRecordingFile } from '../../src/replay/recording-file.ts';
import { RECORDING_FORMAT, type RecordedStep, type RecordingHeader } from '../../src/replay/recording.ts';
import { readRecording } from '../../src/replay/read-recording.ts';
import { tempDir } from '../helpers/temp-dir.ts';

const HEADER = { format: RECORDING_FORMAT, startedAt: 0, host: {} } as unknown as RecordingHeader;

const idStep = (seq: number): RecordedStep => ({ seq, time: seq, correlation: null, kind: 'id', prefix: 'cmd', value: `cmd_${seq}` });

function record(file: { sink: { write(step: RecordedStep): void } }, from: number, to: number): void {
  for (let seq = from; seq <= to; seq++) file.sink.write(idStep(seq));
}

describe('a recording file', () => {
  it('holds every step in order once closed, whether the steps came in one burst or several, or past the length written at once', async () => {
    const filePath = path.join(await tempDir('recording-file'), 'run.ndjson');
    const file = await openRecordingFile(filePath, HEADER);
    record(file, 1, 3);
    await new Promise((resolve) => setImmediate(resolve));
    record(file, 4, 5);
    // Well past what is held for one write (64 KiB): written as it grows, still in order.
    record(file, 6, 3_000);
    await file.close();
    const recording = readRecording(await readFile(filePath, 'utf8'));
    assert.equal(recording.complete, true);
    assert.deepEqual(
      recording.steps.map(({ step }) => step.seq),
      Array.from({ length: 3_000 }, (_, index) => index + 1),
    );
  });

  it('leaves out a step recorded after it was closed (a timer the stopping host left set) instead of failing the stream', async () => {
    const filePath = path.join(await tempDir('recording-file'), 'run.ndjson');
    const file = await openRecordingFile(filePath, HEADER);
    record(file, 1, 2);
    await file.close();
    record(file, 3, 3);
    await new Promise((resolve) => setImmediate(resolve));
    const text = await readFile(filePath, 'utf8');
    assert.equal(readRecording(text).steps.length, 2);
    assert.match(text.trimEnd().split('\n').at(-1) as string, /"end":"safekeep\.recording\.v1","steps":2/);
  });
});
