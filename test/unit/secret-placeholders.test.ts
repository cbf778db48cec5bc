import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SecretPlaceholders } from '../../src/replay/secret-placeholders.ts';
import { Secret, SecretJsonText } from '../../src/secret/secret.ts';

describe('secret placeholders', () => {
  it('give the same secret the same placeholder and different ones different placeholders, numbered by first appearance', () => {
    const placeholders = new SecretPlaceholders();
    const sanitized = placeholders.sanitize({
      a: new Secret('correct horse battery'),
      b: [new Secret('hunter2'), new Secret('correct horse battery')],
    });
    assert.deepEqual(sanitized, {
      a: { $secret: '#1', atLeast: 8 },
      b: [
        { $secret: '#2', atLeast: 1 },
        { $secret: '#1', atLeast: 8 },
      ],
    });
  });

  it('never write a secret, its length, or secret material kept as plain values', () => {
    const placeholders = new SecretPlaceholders();
    const text = JSON.stringify(
      placeholders.sanitize({
        masterPassword: new Secret('correct horse battery'),
        record: { passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA', keyDerivation: { salt: 'c2FsdHNhbHQ=' }, wrappedKey: { iv: 'aXY=', data: 'ZGF0YQ==' } },
        entries: { e1: { sealed: { iv: 'bm9uY2U=', data: 'Y2lwaGVy' } } },
        reply: new SecretJsonText(['{"token":', '}\n'], [new Secret('tok-abc')]),
      }),
    );
    for (const secret of ['correct horse', 'argon2id', 'c2FsdHNhbHQ', 'aXY=', 'ZGF0YQ', 'bm9uY2U', 'Y2lwaGVy', 'tok-abc', '"atLeast":21']) {
      assert.ok(!text.includes(secret), `${secret} is in ${text}`);
    }
    assert.match(text, /"reply":\{"\$secretText":\["\{\\"token\\":","\}\\n"\],"secrets":\[\{"\$secret":"#\d+","atLeast":1\}\]\}/);
  });

  it('keep only the band of a secret\'s length that some rule depends on', () => {
    const placeholders = new SecretPlaceholders();
    const band = (length: number) => (placeholders.sanitize(new Secret('x'.repeat(length) + String(length))) as { atLeast: number }).atLeast;
    assert.deepEqual([0, 5, 6, 7, 30, 127, 2000, 5000].map(band), [1, 1, 1, 8, 8, 129, 1025, 4097]);
  });

  it('treat a secret-named field holding a plain string as the secret it is, and bytes as secret material', () => {
    const placeholders = new SecretPlaceholders();
    const text = JSON.stringify(placeholders.sanitize({ body: { password: 'plain-hunter2', token: 'plain-token' }, key: Buffer.from('raw key bytes') }));
    assert.ok(!text.includes('plain-'), text);
    assert.ok(!text.includes(Buffer.from('raw key bytes').toString('base64')), text);
    assert.ok(!text.includes('"0":'), text);
  });

  it('keep only the type of a secret-named field that is not a string, and restore a value of that type', () => {
    const placeholders = new SecretPlaceholders({ keepValues: true });
    const sanitized = placeholders.sanitize({ body: { password: 20240601, masterPassword: { pin: 1234 }, token: null } });
    assert.deepEqual(sanitized, { body: { password: { $secretOfType: 'number' }, masterPassword: { $secretOfType: 'object' }, token: { $secretOfType: 'null' } } });
    assert.deepEqual(placeholders.restore(sanitized), { body: { password: 0, masterPassword: {}, token: null } });
  });

  it('drop what cannot be recorded: abort signals and functions', () => {
    const placeholders = new SecretPlaceholders();
    assert.deepEqual(placeholders.sanitize({ path: '/a', signal: new AbortController().signal, onDone: () => 1 }), { path: '/a' });
  });

  it('restore, in a replay, the secret the replay itself produced, and a consistent stand-in for one it never saw', () => {
    const replay = new SecretPlaceholders({ keepValues: true });
    replay.sanitize({ token: new Secret('replay-token-1') }); // the replay's host issued a token: #1
    const restored = replay.restore({ token: { $secret: '#1', atLeast: 8 }, masterPassword: { $secret: '#2', atLeast: 8 }, again: { $secret: '#2', atLeast: 8 }, short: { $secret: '#3', atLeast: 1 } }) as Record<string, Secret>;
    assert.equal(restored['token']?.reveal(), 'replay-token-1');
    assert.ok(restored['masterPassword'] instanceof Secret);
    assert.equal(restored['masterPassword'].reveal(), restored['again']?.reveal());
    assert.ok(restored['masterPassword'].length >= 8);
    assert.ok((restored['short']?.length ?? 0) < 8);
    assert.notEqual(restored['short']?.reveal(), restored['masterPassword'].reveal());
    // A stand-in seen again in the replay's own output keeps its number.
    assert.deepEqual(replay.sanitize(restored['masterPassword']), { $secret: '#2', atLeast: 8 });
    assert.deepEqual(replay.sanitize(new Secret('something new')), { $secret: '#4', atLeast: 8 });
  });

  it('restore secret text as SecretJsonText with the secrets inside', () => {
    const replay = new SecretPlaceholders({ keepValues: true });
    const text = replay.restore({ $secretText: ['{"token":', '}'], secrets: [{ $secret: '#1', atLeast: 8 }] });
    assert.ok(text instanceof SecretJsonText);
    assert.equal(String(text), '[secret]');
    assert.match(text.reveal(), /^\{"token":"~1·+"\}$/);
  });

  it('hand back what holds no secret as it is and copy only the way down to a secret, never changing their input', () => {
    const placeholders = new SecretPlaceholders();
    const plain = { jobId: 'notes.txt', version: { path: '/a', size: 6 }, tags: ['x', 'y'] };
    assert.equal(placeholders.sanitize(plain), plain);
    const input = { plain: plain.version, list: plain.tags, login: { username: 'ann', masterPassword: new Secret('correct horse battery') } };
    const sanitized = placeholders.sanitize(input) as typeof input;
    assert.notEqual(sanitized, input);
    assert.equal(sanitized.plain, input.plain);
    assert.equal(sanitized.list, input.list);
    assert.deepEqual(sanitized.login, { username: 'ann', masterPassword: { $secret: '#1', atLeast: 8 } });
    assert.ok(input.login.masterPassword instanceof Secret, 'the input was changed');
    // A class instance is still written as a copy of its own fields, as before: JSON would call its toJSON.
    assert.deepEqual(placeholders.sanitize({ at: new Date(0) }), { at: {} });
  });

  it('keep a field named __proto__ as a field when copying (a user may be named so)', () => {
    const placeholders = new SecretPlaceholders({ keepValues: true });
    const value = JSON.parse('{"__proto__": {"token": "plain-token"}, "b": 1}') as unknown;
    const sanitized = placeholders.sanitize(value);
    assert.equal(JSON.stringify(sanitized), '{"__proto__":{"token":{"$secret":"#1","atLeast":8}},"b":1}');
    assert.equal(JSON.stringify(placeholders.restore(JSON.parse(JSON.stringify(sanitized)))), '{"__proto__":{"token":"[secret]"},"b":1}');
  });

  it('restore what holds no placeholder as it is', () => {
    const replay = new SecretPlaceholders({ keepValues: true });
    const payload = JSON.parse('{"connectionId":"conn_1","requests":[{"text":"revert"}],"n":1}') as unknown;
    assert.equal(replay.restore(payload), payload);
  });
});
