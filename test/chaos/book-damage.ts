/**
 * Chaos experiments on the password book's stored records: byte flips in
 * single entries, in users' credential fields and in inbox records of a real
 * book on disk, served by a real safekeep child process. Each experiment
 * checks detection (the offline `checkBookDocument` / `checkPendingDocument`
 * find every flip) and containment (the damaged thing is listed as damaged
 * and can be deleted; every other entry, user and inbox password still works
 * and reads back exactly as acknowledged).
 *
 * @example
 * for (const row of await runBookDamageExperiments({ scale: 1 })) console.log(row);
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkBookDocument, checkEntryDocument, checkPendingDocument } from '../../src/book/book-check.ts';
import { seededRandom, type RandomSource } from '../../src/random/random.ts';
import { entriesOf, rewriteStored, storedDocuments } from '../helpers/book-store-files.ts';
import { JsonClient, type Reply } from '../helpers/json-client.ts';
import { spawnSafekeep, type SafekeepProcess } from '../helpers/safekeep-process.ts';
import type { ChaosRow } from './chaos-row.ts';

const PASSWORD = (username: string) => `master password of ${username}`;

interface Book {
  readonly dataDir: string;
  /** Acknowledged entries: user → entry name → password. */
  readonly entries: Map<string, Map<string, string>>;
  /** Each entry's name by `username/entryId` (from `entry.list`; ids are unique within a book only), to know which name a damaged id had. */
  readonly names: Map<string, string>;
  /** Acknowledged inbox passwords by their id. */
  readonly pending: Map<string, string>;
}

/** A running service and a client counting what it sends; INTERNAL replies and unexpected exits are crashes. */
class Service {
  requests = 0;
  crashes = 0;
  readonly notes: string[] = [];
  #process: SafekeepProcess | null = null;
  #client: JsonClient | null = null;

  constructor(readonly dataDir: string) {}

  async start(): Promise<void> {
    this.#process = spawnSafekeep(['--data-dir', this.dataDir, '--host', '127.0.0.1', '--port', '0'], this.dataDir);
    this.#client = await JsonClient.connect(await this.#process.port());
  }

  async call(message: Record<string, unknown>): Promise<Reply> {
    this.requests++;
    const reply = await (this.#client as JsonClient).call(message);
    if (reply['ok'] === false && reply['error']?.code === 'INTERNAL') {
      this.crashes++;
      this.notes.push(`INTERNAL on ${String(message['type'])}: ${reply['error'].message}`);
    }
    return reply;
  }

  async stop(): Promise<void> {
    this.#client?.close();
    const running = this.#process;
    if (!running) return;
    if (running.child.exitCode !== null || running.child.signalCode !== null) {
      this.crashes++;
      this.notes.push(`the service exited by itself: ${running.stderr.slice(-300)}`);
    }
    const exit = await running.stop('SIGTERM');
    if (exit.code !== 0 && exit.signal !== 'SIGTERM') {
      this.crashes++;
      this.notes.push(`the service exited ${exit.code ?? exit.signal} on SIGTERM`);
    }
    this.#process = null;
  }
}

/** Flips one bit of one byte of a base64 field at a random offset: same length, still base64. */
function flip(text: string, random: RandomSource): string {
  const bytes = Buffer.from(text, 'base64');
  const at = random.bytes(4).readUInt32BE(0) % bytes.length;
  bytes[at] = (bytes[at] as number) ^ (1 << (random.bytes(1)[0] as number) % 8);
  return bytes.toString('base64');
}

async function makeBook(service: Service, users: number, entriesEach: number, pending: number): Promise<Book> {
  const book: Book = { dataDir: service.dataDir, entries: new Map(), names: new Map(), pending: new Map() };
  for (let u = 0; u < users; u++) {
    const username = `user${u}`;
    await service.call({ type: 'user.register', username, masterPassword: PASSWORD(username) });
    const token = (await service.call({ type: 'session.login', username, masterPassword: PASSWORD(username) }))['result']?.token;
    const entries = new Map<string, string>();
    for (let e = 0; e < entriesEach; e++) {
      const reply = await service.call({ type: 'entry.add', token, name: `entry${e}`, password: `${username}/entry${e}/secret` });
      if (reply['ok']) entries.set(`entry${e}`, `${username}/entry${e}/secret`);
    }
    book.entries.set(username, entries);
    const listed = (await service.call({ type: 'entry.list', token }))['result']?.entries ?? [];
    for (const { name, entryId } of listed as { name: string; entryId: string }[]) book.names.set(`${username}/${entryId}`, name);
  }
  for (let p = 0; p < pending; p++) {
    // What `save_password` does, typed, so the reply names the inbox id.
    const reply = await service.call({ type: 'pending.add', password: `generated ${p}` });
    if (reply['ok']) book.pending.set(reply['result'].pendingId, `generated ${p}`);
  }
  return book;
}

/** Logs `username` in and reads every acknowledged entry not in `damagedNames`; counts losses and damage served as intact. */
async function readBack(service: Service, book: Book, username: string, expectedDamaged: readonly string[], damagedNames: ReadonlySet<string>) {
  const result = { lost: 0, servedDamaged: 0, uncontained: [] as string[] };
  const login = await service.call({ type: 'session.login', username, masterPassword: PASSWORD(username) });
  const token = login['result']?.token;
  if (!token) return { ...result, lost: book.entries.get(username)?.size ?? 0, uncontained: [`${username} could not log in: ${login['error']?.code}`] };
  const listed = (await service.call({ type: 'entry.list', token }))['result'] ?? { entries: [], damaged: [] };
  const damagedIds = (listed.damaged as { entryId: string }[]).map((entry) => entry.entryId).sort();
  if (JSON.stringify(damagedIds) !== JSON.stringify([...expectedDamaged].sort())) result.uncontained.push(`${username} lists damaged ${JSON.stringify(damagedIds)}, expected ${JSON.stringify(expectedDamaged)}`);
  for (const { name } of listed.entries as { name: string }[]) if (damagedNames.has(name)) result.servedDamaged++;
  for (const [name, password] of book.entries.get(username) ?? []) {
    if (damagedNames.has(name)) continue;
    const got = await service.call({ type: 'entry.get', token, name });
    if (got['result']?.password !== password) result.lost++;
  }
  for (const entryId of expectedDamaged) {
    const deleted = await service.call({ type: 'entry.delete', token, entryId });
    if (!deleted['ok']) result.uncontained.push(`${username} could not delete damaged ${entryId}: ${deleted['error']?.code}`);
  }
  const name = `added-beside-damage-${service.requests}`;
  const added = await service.call({ type: 'entry.add', token, name, password: 'p' });
  if (!added['ok']) result.uncontained.push(`${username} could not add beside damage: ${added['error']?.code}`);
  else book.entries.get(username)?.set(name, 'p');
  for (const name of damagedNames) book.entries.get(username)?.delete(name);
  return result;
}

async function entryFlips(service: Service, book: Book, random: RandomSource, count: number): Promise<ChaosRow> {
  const users = [...book.entries.keys()].slice(0, count);
  const kinds = ['data', 'iv', 'time', 'id'] as const;
  const damaged = new Map<string, { entryId: string; name: string }>();
  await rewriteStored(book.dataDir, 'book.entries', (documents) => {
    users.forEach((username, i) => {
      const entries = entriesOf(documents, username);
      const ids = Object.keys(entries);
      const entryId = ids[random.bytes(1)[0]! % ids.length]!;
      const entry = entries[entryId]!.document;
      const name = book.names.get(`${username}/${entryId}`) ?? '?';
      const kind = kinds[i % kinds.length]!;
      if (kind === 'data') entry.sealed.data = flip(entry.sealed.data, random);
      if (kind === 'iv') entry.sealed.iv = flip(entry.sealed.iv, random);
      if (kind === 'time') entry.createdAt += 1;
      let storedId = entryId;
      if (kind === 'id') {
        storedId = `${entryId}x`;
        entry.entryId = storedId;
      }
      damaged.set(username, { entryId: storedId, name });
    });
  });
  return checkAndServe(service, book, 'book: byte flips in single entries', users.length, async (row) => {
    const checks = Object.entries(await storedDocuments(book.dataDir, 'book.entries')).map(([key, document]) => checkEntryDocument(key, document));
    for (const username of book.entries.keys()) {
      const expected = damaged.has(username) ? [damaged.get(username)!.entryId] : [];
      const found = checks.filter((check) => check.username === username && check.damaged).map((check) => check.entryId);
      if (JSON.stringify(found) !== JSON.stringify(expected)) row.failures.push(`check found ${JSON.stringify(found)} in ${username}, expected ${JSON.stringify(expected)}`);
    }
    await service.start();
    for (const username of book.entries.keys()) {
      const bad = damaged.get(username);
      const result = await readBack(service, book, username, bad ? [bad.entryId] : [], new Set(bad ? [bad.name] : []));
      row.lost += result.lost;
      row.served += result.servedDamaged;
      row.failures.push(...result.uncontained);
    }
  });
}

async function credentialFlips(service: Service, book: Book, random: RandomSource, count: number): Promise<ChaosRow> {
  const users = [...book.entries.keys()].slice(-count);
  const fields = ['passwordHash', 'wrappedKey', 'salt', 'timeCost'] as const;
  await rewriteStored(book.dataDir, 'book.users', (documents) => {
    users.forEach((username, i) => {
      const record = documents[username];
      const field = fields[i % fields.length]!;
      if (field === 'passwordHash') record.passwordHash = record.passwordHash.replace(/.$/, (last: string) => (last === 'A' ? 'B' : 'A'));
      if (field === 'wrappedKey') record.wrappedKey.data = flip(record.wrappedKey.data, random);
      if (field === 'salt') record.keyDerivation.salt = flip(record.keyDerivation.salt, random);
      if (field === 'timeCost') record.keyDerivation.timeCost += 1;
    });
  });
  const row = await checkAndServe(service, book, 'book: byte flips in user credentials', users.length, async (progress) => {
    const documents = await storedDocuments(book.dataDir, 'book.users');
    for (const username of book.entries.keys()) {
      const found = checkBookDocument(username, documents[username]).credentialsDamaged;
      if (found !== users.includes(username)) progress.failures.push(`check says ${username}'s credentials are ${found ? '' : 'not '}damaged`);
    }
    await service.start();
    for (const username of book.entries.keys()) {
      if (users.includes(username)) {
        const login = await service.call({ type: 'session.login', username, masterPassword: PASSWORD(username) });
        if (login['error']?.code !== 'CREDENTIALS_DAMAGED') progress.failures.push(`${username} logged in with damaged credentials: ${JSON.stringify(login['error'] ?? 'ok')}`);
        if (login['ok']) progress.served++;
        continue;
      }
      const result = await readBack(service, book, username, [], new Set());
      progress.lost += result.lost;
      progress.failures.push(...result.uncontained);
    }
  });
  // Those users stay damaged; later experiments leave them alone.
  for (const username of users) book.entries.delete(username);
  return row;
}

async function pendingFlips(service: Service, book: Book, random: RandomSource, count: number): Promise<ChaosRow> {
  const before = await storedDocuments(book.dataDir, 'book.pending');
  // Oldest first, as they were sent.
  const ids = Object.keys(before).sort((a, b) => before[a].receivedAt - before[b].receivedAt);
  const damagedIds = ids.filter((_, i) => i % 2 === 1).slice(0, count);
  await rewriteStored(book.dataDir, 'book.pending', (documents) => {
    for (const pendingId of damagedIds) documents[pendingId].sealed.data = flip(documents[pendingId].sealed.data, random);
  });
  return checkAndServe(service, book, 'book: byte flips in inbox records', damagedIds.length, async (row) => {
    const documents = await storedDocuments(book.dataDir, 'book.pending');
    for (const pendingId of ids) {
      const state = checkPendingDocument(pendingId, documents[pendingId]);
      if ((state === 'damaged') !== damagedIds.includes(pendingId)) row.failures.push(`check says ${pendingId} is ${state}`);
    }
    await service.start();
    const username = [...book.entries.keys()][0]!;
    const token = (await service.call({ type: 'session.login', username, masterPassword: PASSWORD(username) }))['result']?.token;
    const listed = (await service.call({ type: 'pending.list', token }))['result'] ?? { pending: [], damaged: [] };
    const listedDamaged = (listed.damaged as { pendingId: string }[]).map((record) => record.pendingId).sort();
    if (JSON.stringify(listedDamaged) !== JSON.stringify([...damagedIds].sort())) row.failures.push(`pending.list damaged ${JSON.stringify(listedDamaged)}`);
    for (const pendingId of ids) {
      const name = `filed-${pendingId}`;
      const filed = await service.call({ type: 'pending.file', token, name, pendingId });
      if (damagedIds.includes(pendingId)) {
        if (filed['ok']) row.served++;
        continue;
      }
      const got = await service.call({ type: 'entry.get', token, name });
      if (got['result']?.password !== book.pending.get(pendingId)) row.lost++;
    }
  });
}

/** Runs `body` with counters, stops the service, and makes the row. */
async function checkAndServe(
  service: Service,
  _book: Book,
  experiment: string,
  faultsInjected: number,
  body: (progress: { lost: number; served: number; failures: string[] }) => Promise<void>,
): Promise<ChaosRow> {
  const requestsBefore = service.requests;
  const crashesBefore = service.crashes;
  const notesBefore = service.notes.length;
  const progress = { lost: 0, served: 0, failures: [] as string[] };
  try {
    await body(progress);
  } catch (error) {
    progress.failures.push(`experiment stopped: ${(error as Error).message}`);
  } finally {
    await service.stop();
  }
  const notes = [...service.notes.slice(notesBefore), ...progress.failures];
  return {
    experiment,
    faultsInjected,
    requestsSent: service.requests - requestsBefore,
    ackedWritesLost: progress.lost,
    partialRegistered: progress.served,
    crashes: service.crashes - crashesBefore,
    // Flips the offline check missed, or damage that was not contained (listed, deletable, others working).
    failures: progress.failures,
    notes: notes.length === 0 ? 'every flip found offline and contained online' : notes.slice(0, 5).join('; '),
  };
}

/**
 * Builds a book (users × entries, and an inbox) with a real service, then
 * runs the three experiments on it, each with its own restart. `scale` 1 is
 * the size `npm test` can afford (a few seconds of Argon2id); the faults grow
 * with it.
 */
export async function runBookDamageExperiments({ scale = 1 }: { scale?: number } = {}): Promise<ChaosRow[]> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'book-chaos-'));
  const random = seededRandom(`book-damage ${scale}`);
  const service = new Service(dataDir);
  try {
    const flips = Math.max(1, Math.round(4 * scale));
    await service.start();
    const book = await makeBook(service, flips * 2 + 2, 3, flips * 2 + 1);
    await service.stop();
    return [
      await entryFlips(service, book, random, flips),
      await credentialFlips(service, book, random, flips),
      await pendingFlips(service, book, random, flips),
    ];
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}
