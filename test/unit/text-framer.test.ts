import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { TextFramer } from '../../adapters/socket/text-framer.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');

describe('text framer', () => {
  it('takes a bare word at the end of a read as one request', () => {
    assert.deepEqual(new TextFramer(100).push(bytes('revert'), false), [{ text: 'revert', framing: 'bare' }]);
  });

  it('splits several lines in one read, dropping \\r before \\n', () => {
    assert.deepEqual(new TextFramer(100).push(bytes('backup\r\nrevert\nexit\n'), false), [
      { text: 'backup', framing: 'line' },
      { text: 'revert', framing: 'line' },
      { text: 'exit', framing: 'line' },
    ]);
  });

  it('takes lines and then a bare tail from one read', () => {
    assert.deepEqual(new TextFramer(100).push(bytes('backup\nrevert'), false), [
      { text: 'backup', framing: 'line' },
      { text: 'revert', framing: 'bare' },
    ]);
  });

  it('skips blank lines', () => {
    assert.deepEqual(new TextFramer(100).push(bytes('\n  \r\n\nrevert\n'), false), [{ text: 'revert', framing: 'line' }]);
  });

  it('keeps the tail of a full read for the next read', () => {
    const framer = new TextFramer(100);
    assert.deepEqual(framer.push(bytes('rev'), true), []);
    assert.deepEqual(framer.push(bytes('ert\n'), false), [{ text: 'revert', framing: 'line' }]);
  });

  it('joins a multibyte character split between two reads', () => {
    const framer = new TextFramer(100);
    const word = bytes('revert ñandú\n');
    assert.deepEqual(framer.push(word.subarray(0, 8), true), []);
    assert.deepEqual(framer.push(word.subarray(8), false), [{ text: 'revert ñandú', framing: 'line' }]);
  });

  it('reports bytes that are not UTF-8 and carries on with the next line', () => {
    const framer = new TextFramer(100);
    const frames = framer.push(Buffer.concat([Buffer.from([0xff, 0xfe, 0x41]), bytes('\nrevert\n')]), false);
    assert.deepEqual(frames, [
      { text: '', framing: 'line', problem: 'invalid-utf8' },
      { text: 'revert', framing: 'line' },
    ]);
  });

  it('reports an over-long request once, as soon as it crosses the limit, and resumes after its line end', () => {
    const framer = new TextFramer(10);
    assert.deepEqual(framer.push(bytes('x'.repeat(8)), true), []);
    assert.deepEqual(framer.push(bytes('x'.repeat(8)), true), [{ text: '', framing: 'line', problem: 'too-long' }]);
    assert.deepEqual(framer.push(bytes('xxxx'), false), [], 'a short read does not end an over-long request');
    assert.deepEqual(framer.push(bytes('xxxx\nrevert\n'), false), [{ text: 'revert', framing: 'line' }]);
  });

  it('reports an over-long line that arrives in one read once', () => {
    assert.deepEqual(new TextFramer(6).push(bytes('backup-now\nrevert'), false), [
      { text: '', framing: 'line', problem: 'too-long' },
      { text: 'revert', framing: 'bare' },
    ]);
  });

  it('accepts a request of exactly the limit', () => {
    assert.deepEqual(new TextFramer(6).push(bytes('revert\n'), false), [{ text: 'revert', framing: 'line' }]);
  });

  it('gives what is left as a bare request when the client closes its side', () => {
    const framer = new TextFramer(100);
    framer.push(bytes('rev'), true);
    assert.deepEqual(framer.end(), [{ text: 'rev', framing: 'bare' }]);
    assert.deepEqual(framer.end(), []);
  });
});
