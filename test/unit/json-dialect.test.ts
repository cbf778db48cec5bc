import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { jsonDialect } from '../../src/protocol/json-dialect.ts';
import { decodeJsonRequest } from '../../src/protocol/json-request.ts';
import type { JsonRequestReceived, TransportProblem } from '../../src/protocol/messages.ts';
import type { CommandResult } from '../../src/protocol/commands.ts';
import { Secret } from '../../src/secret/secret.ts';
import { wholeReplyText } from '../../src/protocol/reply-chunks.ts';
import { pythonJsonDumps } from '../../src/protocol/python-json.ts';

function received(text: string): JsonRequestReceived {
  const decoded = decodeJsonRequest(text);
  return {
    connectionId: 'c',
    requestId: 'r',
    dialect: 'json',
    receivedAt: 0,
    body: 'body' in decoded ? decoded.body : null,
    ...('problem' in decoded ? { problem: decoded.problem } : {}),
  };
}

const withProblem = (problem: TransportProblem): JsonRequestReceived => ({ connectionId: 'c', requestId: 'r', dialect: 'json', receivedAt: 0, body: null, problem });

/** The reply a request gets when it fails to parse. */
function parseError(text: string): string {
  const request = received(text);
  const outcome = jsonDialect.parse(request);
  assert.equal(outcome.ok, false, `expected ${text} to be refused`);
  return jsonDialect.renderError(request, (outcome as { error: { code: string; message: string } }).error);
}

const errorCode = (text: string) => JSON.parse(parseError(text)).error.code as string;

describe('JSON dialect: seed messages', () => {
  it('maps the three seed messages onto typed requests', () => {
    const save = jsonDialect.parse(received('{"message": "save_password", "password": "abc123"}'));
    assert.ok(save.ok && save.command.kind === 'book' && save.command.request.type === 'pending.add');
    assert.ok(save.ok && save.command.kind === 'book' && 'password' in save.command.request && save.command.request.password instanceof Secret);
    assert.deepEqual(jsonDialect.parse(received('{"message": "number_of_users"}')), { ok: true, command: { kind: 'book', request: { type: 'users.count' } } });
    assert.deepEqual(jsonDialect.parse(received('{"message": "check_users"}')), { ok: true, command: { kind: 'book', request: { type: 'users.list' } } });
  });

  it('replies exactly as the seed did, in Python json.dumps form', () => {
    const render = (text: string, result: CommandResult) => wholeReplyText(jsonDialect.renderResult(received(text), result));
    assert.equal(render('{"message": "save_password", "password": "x"}', { kind: 'book', type: 'pending.add', result: { filedIn: 'inbox', pendingId: 'p1' } }), '{"message": "Password saved!"}\n');
    assert.equal(render('{"message": "number_of_users"}', { kind: 'book', type: 'users.count', result: { count: 3 } }), '{"message": "return_number_of_users", "number_of_users": 3}\n');
    assert.equal(
      render('{"message": "check_users"}', { kind: 'book', type: 'users.list', result: { users: [{ username: 'zoë' }] } }),
      '{"message": "return_check_users", "users": [{"username": "zo\\u00eb"}]}\n',
    );
  });

  it('answers Invalid message! to anything else, including save_password without a string password', () => {
    for (const text of ['{"message": "another_message", "data": "some_data"}', '{"message": "save_password"}', '{"message": "save_password", "password": 5}', '{"message": "save_password", "password": ""}', '{}', '{"message": ["check_users"]}']) {
      assert.equal(parseError(text), '{"message": "Invalid message!"}\n', text);
    }
  });

  it('answers what is not JSON, not an object, too long or not UTF-8 with the seed reply and a code', () => {
    assert.equal(errorCode('{"message": nope}'), 'INVALID_JSON');
    assert.equal(JSON.parse(parseError('{"message": nope}')).message, 'Invalid message!');
    assert.equal(jsonDialect.renderError(withProblem('not-an-object'), { code: 'INVALID_MESSAGE', message: 'x' }).startsWith('{"message": "Invalid message!"'), true);
    for (const problem of ['too-long', 'invalid-utf8', 'not-an-object'] as const) {
      const request = withProblem(problem);
      const outcome = jsonDialect.parse(request);
      assert.equal(outcome.ok, false);
      const reply = JSON.parse(jsonDialect.renderError(request, (outcome as { error: { code: string; message: string } }).error));
      assert.equal(reply.message, 'Invalid message!');
    }
  });

  it('never quotes a password from a request that is not valid JSON', () => {
    const reply = parseError('{"message": "save_password", "password": "hunter2-secret", oops}');
    assert.doesNotMatch(reply, /hunter2/);
  });

  it('marks seed replies for the reply channel, and only those', () => {
    assert.equal(jsonDialect.isSeedMessage?.(received('{"message": "number_of_users"}')), true);
    assert.equal(jsonDialect.isSeedMessage?.(received('{"message": "what"}')), true);
    assert.equal(jsonDialect.isSeedMessage?.(received('{"type": "users.count"}')), false);
    assert.equal(jsonDialect.isSeedMessage?.(withProblem('invalid-json')), false);
  });
});

describe('JSON dialect: typed messages', () => {
  it('validates fields by the message declarations, naming the field but never its value', () => {
    assert.equal(errorCode('{"type": "entry.nope"}'), 'UNKNOWN_TYPE');
    assert.equal(errorCode('{"type": 42}'), 'UNKNOWN_TYPE');
    assert.equal(errorCode('{"type": "session.login", "username": "ann"}'), 'INVALID_FIELD');
    assert.equal(errorCode('{"type": "session.login", "username": 7, "masterPassword": "x"}'), 'INVALID_FIELD');
    assert.equal(errorCode('{"type": "session.login", "username": "ann", "masterPassword": ["x"]}'), 'INVALID_FIELD');
    assert.equal(errorCode('{"type": "session.login", "username": "ann", "masterPassword": "x", "extra": 1}'), 'INVALID_FIELD');
    assert.equal(errorCode('{"type": "user.register", "username": " ann", "masterPassword": "long enough"}'), 'INVALID_FIELD');
    assert.equal(errorCode('{"type": "user.register", "username": "a\\u0000b", "masterPassword": "long enough"}'), 'INVALID_FIELD');
    assert.equal(errorCode('{"type": "users.count", "id": {"nested": true}}'), 'INVALID_FIELD');
    const huge = parseError(`{"type": "entry.add", "token": "t", "name": "n", "password": "${'s3cret'.repeat(1000)}"}`);
    assert.equal(JSON.parse(huge).error.code, 'INVALID_FIELD');
    assert.doesNotMatch(huge, /s3cret/);
  });

  it('echoes the id and type on replies, ok or not', () => {
    const error = JSON.parse(parseError('{"type": "entry.get", "id": "q-7", "token": "t"}'));
    assert.deepEqual(error, { id: 'q-7', type: 'entry.get', ok: false, error: { code: 'INVALID_FIELD', message: "'entry.get' needs the field 'name'" } });
    const request = received('{"type": "users.count", "id": 9}');
    assert.equal(jsonDialect.renderResult(request, { kind: 'book', type: 'users.count', result: { count: 2 } }), '{"id":9,"type":"users.count","ok":true,"result":{"count":2}}\n');
  });

  it('keeps a reply that carries a secret as a Secret until the socket writes it', () => {
    const request = received('{"type": "entry.get", "token": "t", "name": "mail"}');
    const reply = jsonDialect.renderResult(request, {
      kind: 'book',
      type: 'entry.get',
      result: { name: 'mail', password: new Secret('pa55word'), createdAt: 1, updatedAt: 2 },
    });
    assert.ok(reply instanceof Secret);
    assert.doesNotMatch(JSON.stringify({ reply }) + inspect(reply) + String(reply), /pa55word/);
    assert.equal(JSON.parse(reply.reveal()).result.password, 'pa55word');
  });

  it('seals every secret-named string of a request, at any depth, before it reaches the bus', () => {
    const request = received('{"type": "x", "token": "tok", "nested": [{"password": "deep"}], "masterPassword": "m"}');
    const shown = JSON.stringify(request) + inspect(request, { depth: 10 });
    assert.doesNotMatch(shown, /tok"|deep|"m"/);
  });
});

describe('Python json.dumps form', () => {
  it('uses the separators and ASCII escapes Python does', () => {
    assert.equal(pythonJsonDumps({ a: 'é😀', b: [1, true, null] }), '{"a": "\\u00e9\\ud83d\\ude00", "b": [1, true, null]}');
  });
});
