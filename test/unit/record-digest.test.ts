import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, digestState, recordDigest, withDigest } from '../../src/integrity/record-digest.ts';

describe('record digests', () => {
  it('do not depend on the order of keys', () => {
    assert.equal(recordDigest({ a: 1, b: { c: [1, 2], d: 'x' } }), recordDigest({ b: { d: 'x', c: [1, 2] }, a: 1 }));
  });

  it('find a changed field, and only a record written with one is checked', () => {
    const stored = withDigest({ id: 'notes@3', size: 10, sealed: { iv: 'AAAA', data: 'BBBB' } });
    assert.equal(digestState(stored), 'intact');
    assert.equal(digestState({ ...stored, size: 11 }), 'damaged');
    assert.equal(digestState({ ...stored, sealed: { iv: 'AAAA', data: 'BBBC' } }), 'damaged');
    assert.equal(digestState({ ...stored, digest: 42 }), 'damaged');
    assert.equal(digestState({ id: 'notes@3', size: 10 }), 'unchecked');
  });

  it('write canonical JSON that parses back to the same value', () => {
    const value = { z: [1, { y: null, x: 'q"' }], a: true };
    assert.equal(canonicalJson(value), '{"a":true,"z":[1,{"x":"q\\"","y":null}]}');
    assert.deepEqual(JSON.parse(canonicalJson(value)), value);
  });

  it('handle nesting far deeper than the stack allows recursion', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.equal(canonicalJson(deep).length, 200_000 + 6);
  });
});
