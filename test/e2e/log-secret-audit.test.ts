import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BOOK_MESSAGES } from '../../src/book/book-messages.ts';
import { freePort } from '../helpers/free-port.ts';
import { JsonClient } from '../helpers/json-client.ts';
import { run, spawnSafekeep } from '../helpers/safekeep-process.ts';
import { tempDir } from '../helpers/temp-dir.ts';
import { TestClient } from '../helpers/test-client.ts';

const SEED_CLIENT = fileURLToPath(new URL('./clients/seed_book_client.py', import.meta.url));

/**
 * The secret audit: every kind of password-book request the suite sends (the
 * seed's Python client, every typed message, with wrong passwords, bad tokens
 * and malformed requests carrying secrets) against a real process logging
 * everything (`--log-level trace --log-format json --log-file`); then not one
 * secret, sent or received, may be in the log or on the console.
 *
 * It runs every session itself rather than reading the logs other test files
 * leave: node's runner runs files in parallel, so a test reading the others'
 * logs would race them, and this way it is complete on its own, checked by its
 * last assertion (every book message type was logged).
 */
describe('the log never holds a secret', () => {
  it('after every kind of book session, at trace, a secret is in no log line and no console line', async () => {
    const root = await tempDir('log-audit');
    const logFile = path.join(root, 'audit.log');
    const replyPort = await freePort();
    const server = spawnSafekeep(['--port', '0', '--reply-to', `127.0.0.1:${replyPort}`, '--log-level', 'trace', '--log-format', 'json', '--log-file', logFile], root);
    const secrets: string[] = [];
    /** A secret to send, random so that a match in the log can only be a leak. */
    const secret = (label: string) => {
      const value = `${label}-${randomBytes(9).toString('base64url')}`;
      secrets.push(value);
      return value;
    };
    /** A secret the service sent back (a token): it must not be logged either. */
    const received = (value: unknown) => {
      assert.equal(typeof value, 'string');
      secrets.push(value as string);
      return value as string;
    };
    try {
      const port = await server.port();

      // The seed's own client: saves a password, counts and lists users, and is refused for the rest.
      const seed = async (message: object) => {
        const { code, stdout, stderr } = await run('python3', [SEED_CLIENT, String(port), String(replyPort), JSON.stringify(message)]);
        assert.equal(code, 0, stderr);
        return JSON.parse(stdout) as Record<string, unknown>;
      };
      assert.deepEqual(await seed({ message: 'save_password', password: secret('seed-saved') }), { message: 'Password saved!' });
      assert.deepEqual(await seed({ message: 'save_password', password: secret('seed-token'), token: secret('seed-bogus-token'), name: 'mail' }), { message: 'Password saved!' });
      assert.equal((await seed({ message: 'number_of_users' }))['message'], 'return_number_of_users');
      assert.equal((await seed({ message: 'check_users' }))['message'], 'return_check_users');
      assert.deepEqual(await seed({ message: 'another_message', data: secret('seed-data') }), { message: 'Invalid message!' });

      const client = await JsonClient.connect(port);
      const master = secret('master');
      await client.ok({ type: 'user.register', username: 'audit-ann', masterPassword: master });
      assert.equal(await client.fails({ type: 'user.register', username: 'audit-bob', masterPassword: secret('weak').slice(0, 5) }), 'WEAK_MASTER_PASSWORD');
      assert.equal(await client.fails({ type: 'user.register', username: 'audit-ann', masterPassword: secret('taken') }), 'USERNAME_TAKEN');
      assert.equal(await client.fails({ type: 'session.login', username: 'audit-ann', masterPassword: secret('wrong-master') }), 'LOGIN_FAILED');
      const login = await client.ok({ type: 'session.login', username: 'audit-ann', masterPassword: master });
      const token = received(login['token']);
      const device = received(login['deviceToken']);
      const again = await client.ok({ type: 'session.login', username: 'audit-ann', masterPassword: master, deviceToken: device });
      received(again['token']);

      await client.ok({ type: 'entry.add', token, name: 'bank', password: secret('entry') });
      assert.equal(await client.fails({ type: 'entry.add', token, name: 'bank', password: secret('entry-again') }), 'ENTRY_EXISTS');
      assert.equal(await client.fails({ type: 'entry.add', token: secret('bad-token'), name: 'shop', password: secret('entry-no-session') }), 'SESSION_INVALID');
      await client.ok({ type: 'entry.list', token });
      const got = await client.ok({ type: 'entry.get', token, name: 'bank' });
      received(got['password']);
      await client.ok({ type: 'entry.rename', token, name: 'bank', newName: 'bank-2' });
      await client.ok({ type: 'pending.add', password: secret('pending') });
      await client.ok({ type: 'pending.add', password: secret('pending-filed'), token, name: 'direct' });
      await client.ok({ type: 'pending.list', token });
      await client.ok({ type: 'pending.file', token, name: 'filed' });
      await client.ok({ type: 'entry.delete', token, name: 'bank-2' });
      await client.ok({ type: 'users.count' });
      await client.ok({ type: 'users.list' });
      assert.equal(await client.fails({ type: 'user.change_password', token, masterPassword: secret('wrong-current'), newMasterPassword: secret('never-set') }), 'LOGIN_FAILED');
      await client.ok({ type: 'user.change_password', token, masterPassword: master, newMasterPassword: secret('new-master') });

      // Malformed requests that carry secrets: unknown type, unknown field, a field of the wrong kind, no type at all.
      await client.fails({ type: 'session.steal', masterPassword: secret('unknown-type') });
      await client.fails({ type: 'entry.add', token, name: 'x', password: secret('extra-field'), [secret('field-name')]: secret('field-value') });
      await client.fails({ type: 'session.login', username: secret('secret-as-username'), masterPassword: 7 });
      await client.fails({ type: 'entry.add', token, name: 'x', password: 'p'.repeat(5000) + secret('too-long') });
      const later = await client.ok({ type: 'session.login', username: 'audit-ann', masterPassword: secrets.find((s) => s.startsWith('new-master'))! });
      await client.ok({ type: 'session.logout', token: received(later['token']) });
      client.close();

      // Bytes that are no request at all, and the text dialect, each with a secret in them.
      const raw = await TestClient.connect(port);
      raw.send(`{"type":"session.login","username":"audit-ann","masterPassword":"${secret('broken-json')}",}\n`);
      await raw.lines(1);
      raw.destroy();
      const text = await TestClient.connect(port);
      text.send(`login audit-ann ${secret('text-line')}\n`);
      await text.lines(1);
      text.destroy();
    } finally {
      await server.stop();
    }

    const log = await readFile(logFile, 'utf8');
    const records = log.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const value of secrets) {
      assert.ok(!log.includes(value), `the log holds a secret (${value.split('-')[0]}…)`);
      assert.ok(!server.stdout.includes(value) && !server.stderr.includes(value), 'the console holds a secret');
    }
    // The audit covers what it claims: every book message type, the seed's messages (as the typed ones they stand for) and broken JSON were logged.
    const answered = records.filter((record) => record['event'] === 'reply.sent');
    const logged = new Set(answered.map((record) => `${record['seed'] === true ? 'seed ' : ''}${String(record['type'])}`));
    for (const type of [...Object.keys(BOOK_MESSAGES), 'seed pending.add', 'seed users.count', 'seed users.list', 'seed invalid']) {
      assert.ok(logged.has(type), `no ${type} request in the log`);
    }
    assert.ok(records.some((record) => record['event'] === 'requests.received' && record['problem'] === 'invalid-json'), 'no invalid-json request in the log');
    assert.ok(records.some((record) => record['event'] === 'reply.sent' && record['code'] === 'LOGIN_FAILED'), 'a failed login is logged with its code');
  });
});
