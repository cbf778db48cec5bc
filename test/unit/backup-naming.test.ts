import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatInterval, parseInterval } from '../../src/backup/interval.ts';
import { jobIdFor } from '../../src/backup/job.ts';
import { versionFileName } from '../../src/backup/version-name.ts';

describe('intervals', () => {
  for (const [text, ms] of [
    ['60', 60_000],
    ['1.5', 1_500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1.5h', 5_400_000],
    ['2d', 172_800_000],
    ['1500ms', 1_500],
    [' 10 M ', 600_000],
  ] as const) {
    it(`reads '${text}' as ${ms} ms`, () => assert.equal(parseInterval(text), ms));
  }
  for (const text of ['', '0', '-5', 'soon', '5 minutes', '1e3', '366d', '0.0001ms', 'NaN', '500ms', '0.5']) {
    it(`refuses '${text}'`, () => assert.equal(parseInterval(text), undefined));
  }
  it('shows intervals back the short way', () => {
    assert.deepEqual([60_000, 90_000, 3_600_000, 86_400_000 + 60_000, 250, 1_500].map(formatInterval), ['1m', '1m30s', '1h', '1d1m', '250ms', '1.5s']);
  });
});

describe('job ids', () => {
  it('are the file name, made safe to type after a text command', () => {
    assert.equal(jobIdFor('/home/ana/notes.json', new Set()), 'notes.json');
    assert.equal(jobIdFor('/home/ana/My Notes (draft).txt', new Set()), 'My-Notes-draft-.txt');
  });
  it('get a number when the name is taken', () => {
    assert.equal(jobIdFor('/b/notes.json', new Set(['notes.json'])), 'notes.json-2');
    assert.equal(jobIdFor('/c/notes.json', new Set(['notes.json', 'notes.json-2'])), 'notes.json-3');
  });
});

describe('version file names', () => {
  it('keep the extension last and sort by time, then sequence', () => {
    const at = Date.parse('2026-11-24T06:11:00.123Z');
    assert.equal(versionFileName('/x/notes.json', at, 42), 'notes.2026-11-24T06-11-00-123Z.000042.json');
    assert.equal(versionFileName('/x/Makefile', at, 1), 'Makefile.2026-11-24T06-11-00-123Z.000001');
    const names = [
      versionFileName('/x/a.txt', at + 1_000, 3),
      versionFileName('/x/a.txt', at, 2),
      versionFileName('/x/a.txt', at, 1),
    ];
    assert.deepEqual([...names].sort(), [names[2], names[1], names[0]]);
  });
});
