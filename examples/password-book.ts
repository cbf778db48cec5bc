/**
 * Driving the password book in-process: register, log in, keep a generated
 * password, read it back. Secrets travel as `Secret`, which prints as
 * `[secret]` everywhere but `reveal()`. Run: `npm run example -- examples/password-book.ts`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LoginFailedError, Secret, startHost } from 'safekeep';

const workDir = await mkdtemp(path.join(tmpdir(), 'safekeep-example-'));
const host = await startHost({ dataDir: workDir, socket: false });

const masterPassword = new Secret('correct horse battery staple');
await host.request('user.register', { username: 'ann', masterPassword });
const { token } = await host.request('session.login', { username: 'ann', masterPassword });
console.log(`logged in; the token prints as ${String(token)}`);

// What a password generator would hand over.
const generated = new Secret(randomBytes(18).toString('base64url'));
await host.request('entry.add', { token, name: 'mail', password: generated });
const { entries } = await host.request('entry.list', { token });
console.log(`entries: ${entries.map((entry) => entry.name).join(', ')}`);
const entry = await host.request('entry.get', { token, name: 'mail' });
console.log(`read back the same password: ${entry.password.reveal() === generated.reveal()}`);

// Errors come back as their own classes, with stable codes.
try {
  await host.request('session.login', { username: 'ann', masterPassword: new Secret('not the password') });
} catch (error) {
  if (error instanceof LoginFailedError) console.log(`wrong password: ${error.code}`);
  else throw error;
}
console.log(`users: ${(await host.request('users.count', {})).count}`);

await host.request('session.logout', { token });
await host.stop();
await rm(workDir, { recursive: true, force: true });
