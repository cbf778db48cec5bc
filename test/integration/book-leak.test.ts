import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { inspect } from 'node:util';
import { tempDir } from '../helpers/temp-dir.ts';
import { startTestHost } from '../helpers/host-harness.ts';
import { JsonClient } from '../helpers/json-client.ts';
import { TestClient } from '../helpers/test-client.ts';

/** Every form a secret could be written in by careless code. */
function encodings(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [secret, bytes.toString('base64'), bytes.toString('base64url'), bytes.toString('hex'), bytes.toString('hex').toUpperCase(), JSON.stringify(secret).slice(1, -1)];
}

function leaks(haystack: string, secrets: readonly string[]): string[] {
  return secrets.flatMap((secret) => encodings(secret).filter((form) => haystack.includes(form)).map((form) => `${secret} as ${form}`));
}

async function allFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

describe('secrets never leak', () => {
  it('keeps planted passwords and tokens out of files, logs, bus events and other clients’ replies', async () => {
    const master = 'MARKER-master-Q7x9v';
    const newMaster = 'MARKER-newmaster-Z3k1w';
    const entryPassword = 'MARKER-entry-P4w8u';
    const seedPassword = 'MARKER-seed-R2d2t';
    const directPassword = 'MARKER-direct-C3po5';
    const badJsonPassword = 'MARKER-badjson-H9j8';

    const dataDir = await tempDir('leak');
    const console = new PassThrough({ encoding: 'utf8' });
    let consoleText = '';
    console.on('data', (text: string) => (consoleText += text));
    const { host, clock } = await startTestHost(dataDir, {
      socket: { host: '127.0.0.1', port: 0, maxRequestBytes: 4096 },
      console: { out: console, verbose: true },
    });
    const events: string[] = [];
    host.bus.events$.subscribe((event) => events.push(JSON.stringify(event), inspect(event, { depth: 20 })));

    const ann = await JsonClient.connect(host.address!.port);
    const bob = await JsonClient.connect(host.address!.port);
    await ann.ok({ type: 'user.register', username: 'ann', masterPassword: master });
    await ann.fails({ type: 'session.login', username: 'ann', masterPassword: `${master}-wrong` });
    const token = (await ann.ok({ type: 'session.login', username: 'ann', masterPassword: master })).token as string;
    const { deviceToken } = await ann.ok({ type: 'session.login', username: 'ann', masterPassword: master });
    await ann.ok({ type: 'session.login', username: 'ann', masterPassword: master, deviceToken });
    await ann.ok({ type: 'entry.add', token, name: 'mail', password: entryPassword });
    await ann.ok({ type: 'entry.get', token, name: 'mail' });
    await ann.ok({ type: 'entry.list', token });
    await ann.call({ message: 'save_password', password: seedPassword });
    await ann.call({ message: 'save_password', password: directPassword, token, name: 'wifi' });
    await ann.ok({ type: 'pending.file', token, name: 'generated' });
    await ann.ok({ type: 'user.change_password', token, masterPassword: master, newMasterPassword: newMaster });
    await ann.fails({ type: 'entry.add', token, name: 'mail', password: entryPassword });
    await ann.fails({ type: 'entry.add', token, name: 'big', password: `${entryPassword}${'x'.repeat(5000)}` });
    // Bob tries everything he can with what he knows.
    await bob.call({ message: 'check_users' });
    await bob.fails({ type: 'session.login', username: 'ann', masterPassword: 'guess' });
    await bob.fails({ type: 'session.login', username: 'ann', masterPassword: 'guess', deviceToken: `${deviceToken}x` });
    await bob.fails({ type: 'entry.get', token: 'forged', name: 'mail' });
    const raw = await TestClient.connect(host.address!.port);
    raw.send(`{"message": "save_password", "password": "${badJsonPassword}", oops}\n`);
    const badJsonReply = (await raw.lines(1)).join('\n');
    raw.destroy();
    clock.advance(60 * 60_000);
    ann.close();
    bob.close();
    await host.stop();

    const secrets = [master, newMaster, entryPassword, seedPassword, directPassword, badJsonPassword, token, deviceToken as string];
    for (const file of await allFiles(dataDir)) {
      assert.deepEqual(leaks((await readFile(file)).toString('latin1'), secrets), [], `leak in ${path.relative(dataDir, file)}`);
    }
    assert.deepEqual(leaks(consoleText, secrets), [], 'leak on the console');
    assert.deepEqual(leaks(events.join('\n'), secrets), [], 'leak on the bus');
    assert.deepEqual(leaks(bob.transcript.join('\n') + badJsonReply, secrets), [], 'leak to another client');
    // Ann's own replies carry only what she asked for: her tokens at login, her password from entry.get.
    const annLeaks = ann.transcript.filter((line) => leaks(line, secrets).length > 0).map((line) => JSON.parse(line).type);
    assert.deepEqual(annLeaks, ['session.login', 'session.login', 'session.login', 'entry.get']);
    assert.ok(consoleText.length > 0 && events.length > 0, 'the test saw a log and events');
  });
});
