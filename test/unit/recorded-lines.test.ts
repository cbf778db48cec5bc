import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readRecordedLines } from '../../src/replay/recorded-lines.ts';
import { RECORDING_FORMAT, stepLine, type RecordedStep } from '../../src/replay/recording.ts';

const steps: RecordedStep[] = [
  { seq: 1, time: 5, correlation: null, kind: 'id', prefix: 'cmd', value: 'cmd_1' },
  { seq: 2, time: 5, correlation: 'cmd_1', kind: 'event', name: 'store.command', payload: { op: 'list', collection: 'backup.jobs', commandId: 'cmd_1' } },
  { seq: 3, time: 6, correlation: 'cmd_1', kind: 'event', name: 'store.result', payload: { commandId: 'cmd_1', ok: true, value: {} } },
  { seq: 4, time: 7, correlation: 'timer#1', kind: 'timer', timer: 1 },
];
const text = [JSON.stringify({ format: RECORDING_FORMAT, startedAt: 5, host: {} }), ...steps.map(stepLine), JSON.stringify({ end: RECORDING_FORMAT, steps: 4 }), ''].join('\n');

describe('a recording read for a replay', () => {
  it('parses inputs at once and outputs only when asked, telling each kind apart by the head of its line', () => {
    const read = readRecordedLines(text);
    assert.deepEqual(
      read.steps.map((entry) => [entry.seq, entry.kind, entry.name, entry.input, entry.parsed]),
      [
        [1, 'id', undefined, false, false],
        [2, 'event', 'store.command', false, false],
        [3, 'event', 'store.result', true, true],
        [4, 'timer', undefined, true, true],
      ],
    );
    assert.deepEqual(read.steps[1]?.step, steps[1]);
    assert.equal(read.steps[1]?.parsed, true);
    assert.equal(read.complete, true);
  });

  it('still refuses at once a line whose head is not a step of its place', () => {
    const lines = text.split('\n');
    lines[2] = (lines[2] as string).replace('"seq":2', '"seq":9');
    assert.throws(() => readRecordedLines(lines.join('\n')), /line 3 is not step 2 of a recording/);
  });
});
