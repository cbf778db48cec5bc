import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JsonFramer, type JsonFrame } from '../../adapters/socket/json-framer.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');

/** Feeds `chunks` one by one and gathers every frame. */
function frame(chunks: readonly Buffer[], max = 1000, end = false): JsonFrame[] {
  const framer = new JsonFramer(max, 64);
  const frames = chunks.flatMap((chunk) => framer.push(chunk));
  return end ? [...frames, ...framer.end()] : frames;
}

describe('JSON framer', () => {
  it('cuts several objects out of one packet, with or without blanks between', () => {
    assert.deepEqual(frame([bytes('{"a":1}{"b":2}\n {"c":3}')]), [{ text: '{"a":1}' }, { text: '{"b":2}' }, { text: '{"c":3}' }]);
  });

  it('joins one object sent a byte at a time', () => {
    const text = '{"message": "save_password", "password": "p{a}s\\"s"}';
    const chunks = [...bytes(text)].map((byte) => Buffer.from([byte]));
    assert.deepEqual(frame(chunks), [{ text }]);
  });

  it('joins a multibyte character split across packets', () => {
    const whole = bytes('{"name": "clé 🔑"}');
    const cut = whole.indexOf(0xf0) + 2; // in the middle of the key emoji's four bytes
    assert.deepEqual(frame([whole.subarray(0, cut), whole.subarray(cut)]), [{ text: '{"name": "clé 🔑"}' }]);
  });

  it('ignores braces and escaped quotes inside strings', () => {
    const text = '{"a": "}{\\"}", "b": {"c": ["{"]}}';
    assert.deepEqual(frame([bytes(`${text}{"d":1}`)]), [{ text }, { text: '{"d":1}' }]);
  });

  it('reports stray bytes between objects once, in stream order, and carries on', () => {
    assert.deepEqual(frame([bytes('{"a":1} nonsense {"b":2}')]), [{ text: '{"a":1}' }, { problem: 'invalid-json' }, { text: '{"b":2}' }]);
    assert.deepEqual(frame([bytes('[1,2]')]), [{ problem: 'invalid-json' }]);
  });

  it('reports an over-long object once, skips to its end and resynchronises', () => {
    const long = `{"password": "${'x'.repeat(50)}", "n": {"deep": "}"}}`;
    assert.deepEqual(frame([bytes(long.slice(0, 30)), bytes(long.slice(30)), bytes('{"ok":1}')], 40), [
      { problem: 'too-long' },
      { text: '{"ok":1}' },
    ]);
  });

  it('reports bytes that are not UTF-8', () => {
    assert.deepEqual(frame([Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d])]), [{ problem: 'invalid-utf8' }]);
  });

  it('reports an object the client never finished', () => {
    assert.deepEqual(frame([bytes('{"message": "number_of')], 1000, true), [{ problem: 'invalid-json' }]);
    assert.deepEqual(frame([bytes('{"a":1}  ')], 1000, true), [{ text: '{"a":1}' }]);
  });
});

describe('JSON framer nesting limit', () => {
  const deep = (levels: number, open = '[', close = ']') => `{"message":${open.repeat(levels - 1)}${close.repeat(levels - 1)}}`;

  it('passes an object nested exactly to the limit', () => {
    assert.deepEqual(new JsonFramer(1_000_000, 64).push(bytes(deep(64))), [{ text: deep(64) }]);
  });

  it('reports an object one level deeper once, skips it to its end and frames the next one', () => {
    assert.deepEqual(new JsonFramer(1_000_000, 64).push(bytes(`${deep(65)}{"ok":1}`)), [{ problem: 'too-deep' }, { text: '{"ok":1}' }]);
  });

  it('reports 4000 nested arrays, 3000 nested objects and 100 000 unclosed brackets once each, keeping nothing', () => {
    const arrays = `{"message":${'['.repeat(4000)}${']'.repeat(4000)}}`;
    const objects = `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`;
    assert.deepEqual(frame([bytes(arrays), bytes('{"n":1}')], 10_000_000), [{ problem: 'too-deep' }, { text: '{"n":1}' }]);
    assert.deepEqual(frame([bytes(objects)], 10_000_000), [{ problem: 'too-deep' }]);
    const framer = new JsonFramer(10_000_000, 64);
    assert.deepEqual(framer.push(bytes(`{"message":${'['.repeat(100_000)}`)), [{ problem: 'too-deep' }]);
    assert.equal(framer.hasPartial, true);
    assert.deepEqual(framer.end(), [], 'an object already reported is not reported again when the client gives up');
  });

  it('counts nesting across reads, and not inside strings', () => {
    const framer = new JsonFramer(1_000_000, 3);
    assert.deepEqual(framer.push(bytes('{"a":"[[[[[[",')), []);
    assert.deepEqual(framer.push(bytes('"b":[[')), [], 'three levels are allowed');
    assert.deepEqual(framer.push(bytes('[')), [{ problem: 'too-deep' }]);
    assert.deepEqual(framer.push(bytes(']]]}{"c":[]}')), [{ text: '{"c":[]}' }]);
  });

  it('reports an object both too deep and too long once', () => {
    assert.deepEqual(frame([bytes(`{"a":${'['.repeat(100)}${'x'.repeat(500)}`), bytes(`${']'.repeat(100)}}`)], 200), [{ problem: 'too-deep' }]);
  });
});
