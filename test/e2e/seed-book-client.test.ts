import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../helpers/temp-dir.ts';
import { run, spawnSafekeep, type SafekeepProcess } from '../helpers/safekeep-process.ts';
import { freePort } from '../helpers/free-port.ts';
import { JsonClient } from '../helpers/json-client.ts';

const SEED_CLIENT = fileURLToPath(new URL('./clients/seed_book_client.py', import.meta.url));

describe('a Python client written as the password-book seed shows, against a real server process', () => {
  let server: SafekeepProcess;
  let port: number;
  let replyPort: number;
  const client = async (message: object) => {
    const { code, stdout, stderr } = await run('python3', [SEED_CLIENT, String(port), String(replyPort), JSON.stringify(message)]);
    assert.equal(code, 0, stderr);
    return JSON.parse(stdout) as unknown;
  };

  before(async () => {
    replyPort = await freePort();
    server = spawnSafekeep(['--port', '0', '--reply-to', `127.0.0.1:${replyPort}`], await tempDir('seed-book'));
    port = await server.port();
  });

  after(() => server.stop());

  it('gets the number of users on its listening port', async () => {
    assert.deepEqual(await client({ message: 'number_of_users' }), { message: 'return_number_of_users', number_of_users: 0 });
  });

  it('saves a generated password', async () => {
    assert.deepEqual(await client({ message: 'save_password', password: 'abc123' }), { message: 'Password saved!' });
  });

  it('sees users registered by a newer client, by name only', async () => {
    const modern = await JsonClient.connect(port);
    await modern.ok({ type: 'user.register', username: 'ann', masterPassword: 'correct horse battery' });
    modern.close();
    assert.deepEqual(await client({ message: 'number_of_users' }), { message: 'return_number_of_users', number_of_users: 1 });
    assert.deepEqual(await client({ message: 'check_users' }), { message: 'return_check_users', users: [{ username: 'ann' }] });
  });

  it('gets the original invalid reply for anything else', async () => {
    assert.deepEqual(await client({ message: 'another_message', data: 'some_data' }), { message: 'Invalid message!' });
    assert.deepEqual(await client({ message: 'save_password' }), { message: 'Invalid message!' });
  });

  it('never sees the saved password in the server’s output', () => {
    assert.doesNotMatch(server.stdout + server.stderr, /abc123/);
  });
});
