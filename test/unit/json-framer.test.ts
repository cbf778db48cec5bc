import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { JsonFramer, type JsonFrame } from '../../adapters/socket/json-framer.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');

/** Feeds `chunks` one by one and gathers every frame. */
function frame(chunks: readonly Buffer[], max = 1000, end = false): JsonFrame[] {
  const framer = new JsonFramer(max);
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
