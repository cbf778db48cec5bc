import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_BARE_REQUEST_BYTES, TextFramer } from '../../adapters/socket/text-framer.ts';

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

describe('text framer: long unterminated requests', () => {
  it('takes a bare tail as a request only while it is short (4 KiB)', () => {
    assert.deepEqual(new TextFramer(1_000_000).push(bytes('x'.repeat(MAX_BARE_REQUEST_BYTES)), false), [
      { text: 'x'.repeat(MAX_BARE_REQUEST_BYTES), framing: 'bare' },
    ]);
    const framer = new TextFramer(1_000_000);
    assert.deepEqual(framer.push(bytes('x'.repeat(MAX_BARE_REQUEST_BYTES + 1)), false), []);
    assert.equal(framer.hasUnterminatedTail, true);
  });

  it('counts the limit across short reads: 2 000 000 bytes then revert give one too-long and one revert', () => {
    const framer = new TextFramer(1024 * 1024);
    const frames = [];
    const stream = bytes(`${'a'.repeat(2_000_000)}\nrevert\n`);
    // Reads shorter than Node's 64 KiB buffer, as a loaded server sees them.
    for (let at = 0; at < stream.length; at += 40_000) frames.push(...framer.push(stream.subarray(at, at + 40_000), false));
    assert.deepEqual(frames, [
      { text: '', framing: 'line', problem: 'too-long' },
      { text: 'revert', framing: 'line' },
    ]);
  });

  it('gives a long tail as a bare request when the connection says the client went quiet', () => {
    const framer = new TextFramer(1_000_000);
    framer.push(bytes('y'.repeat(5_000)), false);
    assert.deepEqual(framer.flush(), [{ text: 'y'.repeat(5_000), framing: 'bare' }]);
    assert.equal(framer.hasPartial, false);
  });

  it('finishes a long request at its line end however many reads it took', () => {
    const framer = new TextFramer(1_000_000);
    assert.deepEqual(framer.push(bytes('z'.repeat(5_000)), false), []);
    assert.deepEqual(framer.push(bytes('zz\n'), false), [{ text: `${'z'.repeat(5_002)}`, framing: 'line' }]);
  });
});
