import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJsonRequest, sealSecrets } from '../../src/protocol/json-request.ts';
import { Secret } from '../../src/secret/secret.ts';

describe('decoding a JSON request', () => {
  it('seals secrets at any depth without recursion: 200 000 levels do not overflow the stack', () => {
    let deep: unknown = { password: 'hunter2' };
    for (let i = 0; i < 200_000; i++) deep = i % 2 === 0 ? [deep] : { next: deep };
    let sealed = sealSecrets({ root: deep }) as any;
    sealed = sealed.root;
    for (let i = 199_999; i >= 0; i--) sealed = i % 2 === 0 ? sealed[0] : sealed.next;
    assert.ok(sealed.password instanceof Secret);
    assert.equal(sealed.password.reveal(), 'hunter2');
  });

  it('decodes a request nested thousands of levels deep (the parser and the sealing both cope)', () => {
    const decoded = decodeJsonRequest(`{"message":${'['.repeat(5_000)}${']'.repeat(5_000)}}`);
    assert.ok('body' in decoded);
  });

  it('keeps __proto__ and constructor keys as plain data and pollutes no prototype', () => {
    const decoded = decodeJsonRequest('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}, "x": [{"token": "t"}]}');
    assert.ok('body' in decoded);
    const body = decoded.body as any;
    assert.equal(Object.getPrototypeOf(body), Object.prototype);
    assert.deepEqual(Object.keys(body), ['__proto__', 'constructor', 'x']);
    assert.equal(({} as any).polluted, undefined);
    assert.equal(Object.prototype.hasOwnProperty.call(body, '__proto__'), true);
    assert.ok(body.x[0].token instanceof Secret);
  });

  it('keeps array order and non-secret values as they were', () => {
    const decoded = decodeJsonRequest('{"a": [1, "two", null, true, {"b": [3]}], "password": 5}');
    assert.deepEqual((decoded as any).body, { a: [1, 'two', null, true, { b: [3] }], password: 5 });
  });
});
