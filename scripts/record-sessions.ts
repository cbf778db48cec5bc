/**
 * Records the sessions that test/integration/replay.test.ts replays as
 * regression tests, into test/recordings/. Run it (`npm run record-sessions`)
 * after a change that is meant to alter what the host does, read the diff of
 * the recordings, and commit them with the change.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VirtualClock } from '../src/clock/virtual-clock.ts';
import { startHost } from '../src/host/start-host.ts';
import { sequentialIds } from '../src/ids/ids.ts';
import { freePort } from '../test/helpers/free-port.ts';
import { JsonClient } from '../test/helpers/json-client.ts';
import { run, spawnSafekeep } from '../test/helpers/safekeep-process.ts';

const OUT = fileURLToPath(new URL('../test/recordings/', import.meta.url));
const CLIENTS = fileURLToPath(new URL('../test/e2e/clients/', import.meta.url));

/** The backup seed's client, as the seed document shows it, asking revert, backup, revert. */
async function seedBackupClient(): Promise<void> {
  const dir = await tempDir('record-backup');
  const source = path.join(dir, 'notes.txt');
  await writeFile(source, 'first\n');
  const server = spawnSafekeep(['--port', '0', '--source', source, '--interval', '1h', '--record', path.join(OUT, 'seed-backup-client.ndjson')], dir);
  const port = String(await server.port());
  const client = (word: string) => run('python3', [path.join(CLIENTS, 'seed_backup_client.py'), port, word]);
  await server.waitFor('stderr', /\] done/);
  await client('revert');
  await writeFile(source, 'second\n');
  await client('backup');
  await client('revert');
  await client('nonsense');
  await server.stop('SIGINT');
}

/** The password-book seed's client (connect-back replies), then a typed JSON session with a login, entries and a wrong password. */
async function seedBookClient(): Promise<void> {
  const dir = await tempDir('record-book');
  const replyPort = await freePort();
  const server = spawnSafekeep(['--port', '0', '--reply-to', `127.0.0.1:${replyPort}`, '--record', path.join(OUT, 'seed-book-client.ndjson')], dir);
  const port = String(await server.port());
  const seed = (message: object) => run('python3', [path.join(CLIENTS, 'seed_book_client.py'), port, String(replyPort), JSON.stringify(message)]);
  await seed({ message: 'number_of_users' });
  await seed({ message: 'save_password', password: 'generated-Pa55word' });

  const modern = await JsonClient.connect(Number(port));
  await modern.ok({ type: 'user.register', username: 'ann', masterPassword: 'correct horse battery' });
  await modern.fails({ type: 'user.register', username: 'bob', masterPassword: 'short' });
  const { token, deviceToken } = await modern.ok({ type: 'session.login', username: 'ann', masterPassword: 'correct horse battery' });
  // Again from the same device: its token, handed back, must replay as the same secret.
  await modern.ok({ type: 'session.login', username: 'ann', masterPassword: 'correct horse battery', deviceToken });
  await modern.ok({ type: 'pending.file', token, name: 'router' });
  await modern.ok({ type: 'entry.add', token, name: 'mail', password: 'hunter2' });
  await modern.ok({ type: 'entry.get', token, name: 'mail' });
  await modern.fails({ type: 'session.login', username: 'ann', masterPassword: 'wrong horse battery' });
  await modern.call({ type: 'entry.list', token, extra: 'field' });
  modern.raw.send('{"type": "users.count"');
  modern.raw.send('}\n{not json}\n');
  await modern.raw.lines(2);
  modern.close();

  await seed({ message: 'check_users' });
  await seed({ message: 'another_message' });
  await server.stop('SIGINT');
}

/** An hour of a backup every minute, on a virtual clock, the source changing every ten minutes. */
async function hourOfBackups(): Promise<void> {
  const dir = await tempDir('record-hour');
  const source = path.join(dir, 'journal.md');
  await writeFile(source, 'entry 0\n');
  const clock = new VirtualClock(Date.parse('2026-11-24T09:00:00.000Z'));
  const host = await startHost({
    dataDir: path.join(dir, 'data'),
    socket: false,
    clock,
    ids: sequentialIds(),
    jobs: [{ sourcePath: source, intervalMs: 60_000, keep: 5 }],
    record: path.join(OUT, 'hour-of-backups.ndjson'),
  });
  for (let minute = 0; minute <= 60; minute++) {
    if (minute % 10 === 0 && minute > 0) await writeFile(source, `entry ${minute}\n`);
    // Each run does real file work: wait for it before moving the clock again.
    const completed = host.bus.once('backup.completed');
    clock.advance(minute === 0 ? 0 : 60_000);
    await completed;
  }
  await host.stop();
}

// Not test/helpers/temp-dir.ts: that one registers a node:test hook, which would make this script a test run.
const tempDir = (label: string) => mkdtemp(path.join(tmpdir(), `${label}-`));


await seedBackupClient();
await seedBookClient();
await hourOfBackups();
process.stdout.write(`recorded into ${OUT}\n`);
