import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BookEntryOperations } from '../../src/book/book-entry-operations.ts';
import { BookRecords, entryKey } from '../../src/book/book-records.ts';
import { sealEntry } from '../../src/book/book-entries.ts';
import { entryNameTag } from '../../src/book/entry-name-tag.ts';
import type { Session } from '../../src/book/session-table.ts';
import { Bus } from '../../src/bus/bus.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';
import { KeyedLock } from '../../src/concurrency/keyed-lock.ts';
import { sequentialIds } from '../../src/ids/ids.ts';
import { seededRandom } from '../../src/random/random.ts';
import type { StoreCommand } from '../../src/store/messages.ts';
import { StoreClient } from '../../src/store/store-client.ts';

/**
 * A store on the bus as the book sees a cluster's: `allowStale` reads are
 * answered from `held` with `held.at`, the others from `latest`, and a
 * conditional write is refused (STORE_CONFLICT) unless it names `latest.at`.
 * Every command is kept, to see what the book asked and in what order.
 */
function scriptedStore(
  bus: Bus,
  held: { at: number | undefined; documents: Map<string, unknown>; atOf?: (key: string) => number },
  latest: { at: number; documents: Map<string, unknown> },
  conditional: 'honest' | 'stored but answered as a conflict' | 'unavailable' = 'honest',
) {
  const commands: StoreCommand[] = [];
  bus.on$('store.command').subscribe((command) => {
    commands.push(command);
    const answer = (result: object) => void bus.emit('store.result', { commandId: command.commandId, ok: true, ...result });
    const refuse = (code: string) => void bus.emit('store.result', { commandId: command.commandId, ok: false, error: { code, message: code } });
    switch (command.op) {
      case 'get': {
        const from = command.allowStale ? held : latest;
        const at = held.atOf?.(command.key) ?? held.at;
        return answer({ value: from.documents.get(`${command.collection}/${command.key}`), ...(command.allowStale && at !== undefined ? { at } : {}) });
      }
      case 'put':
      case 'batch':
      case 'delete':
        if (command.ifUnchangedSince !== undefined) {
          if (conditional === 'unavailable') return refuse('STORE_UNAVAILABLE');
          if (conditional === 'stored but answered as a conflict') {
            if (command.op === 'batch') for (const write of command.writes) if (write.op === 'put') latest.documents.set(`${write.collection}/${write.key}`, write.value);
            return refuse('STORE_CONFLICT');
          }
          if (command.ifUnchangedSince !== latest.at) return refuse('STORE_CONFLICT');
        }
        return answer({});
      default:
        return answer({});
    }
  });
  return commands;
}

const random = seededRandom('book-add');
const session: Session = { id: 's', username: 'ann', dataKey: random.bytes(32), expiresAt: Number.MAX_SAFE_INTEGER };
const user = { username: 'ann', entriesAdded: 3 };

function book(bus: Bus): BookEntryOperations {
  return new BookEntryOperations({ records: new BookRecords(new StoreClient(bus, sequentialIds())), clock: new VirtualClock(0), ids: sequentialIds(), random, locks: new KeyedLock() });
}

const shape = (commands: readonly StoreCommand[]) =>
  commands.map((command) => `${command.op}${'allowStale' in command && command.allowStale ? ' held' : ''}${'ifUnchangedSince' in command && command.ifUnchangedSince !== undefined ? ` if-unchanged-since-${command.ifUnchangedSince}` : ''}`);

describe('adding an entry on a store with stale views (a cluster node)', () => {
  it('writes once, conditional on where its held view stood, when nothing was written since: no read of the latest', async () => {
    const bus = new Bus();
    const documents = new Map<string, unknown>([['book.users/ann', user]]);
    const commands = scriptedStore(bus, { at: 7, documents }, { at: 7, documents });
    await book(bus).add(session, 'mail', 'hunter2');
    assert.deepEqual(shape(commands), ['get held', 'get held', 'batch if-unchanged-since-7']);
  });

  it('reads the latest and writes again, unconditionally, when something was written since', async () => {
    const bus = new Bus();
    const held = new Map<string, unknown>([['book.users/ann', user]]);
    const latest = new Map<string, unknown>([['book.users/ann', { ...user, entriesAdded: 9 }]]);
    const commands = scriptedStore(bus, { at: 7, documents: held }, { at: 8, documents: latest });
    await book(bus).add(session, 'mail', 'hunter2');
    assert.deepEqual(shape(commands), ['get held', 'get held', 'batch if-unchanged-since-7', 'get', 'get', 'batch']);
    const written = commands.at(-1) as StoreCommand & { op: 'batch' };
    assert.equal((written.writes.find((write) => write.collection === 'book.users') as { value: { entriesAdded: number } }).value.entriesAdded, 10, 'numbered from the latest user record');
  });

  it('asks the latest before refusing: an entry its held view still shows, since deleted elsewhere, is added', async () => {
    const bus = new Bus();
    const key = entryKey('ann', entryNameTag(session.dataKey, 'mail'));
    const old = sealEntry(session.dataKey, 'ann', 'entry-1-x', { name: 'mail', password: 'old' }, { createdAt: 0, updatedAt: 0 }, random);
    const held = new Map<string, unknown>([['book.users/ann', user], [`book.entries/${key}`, old.document]]);
    const latest = new Map<string, unknown>([['book.users/ann', user]]);
    const commands = scriptedStore(bus, { at: 7, documents: held }, { at: 8, documents: latest });
    await book(bus).add(session, 'mail', 'hunter2');
    assert.deepEqual(shape(commands), ['get held', 'get held', 'get', 'get', 'batch']);
  });

  it('refuses, after asking the latest, an entry the latest shows too', async () => {
    const bus = new Bus();
    const key = entryKey('ann', entryNameTag(session.dataKey, 'mail'));
    const old = sealEntry(session.dataKey, 'ann', 'entry-1-x', { name: 'mail', password: 'old' }, { createdAt: 0, updatedAt: 0 }, random);
    const documents = new Map<string, unknown>([['book.users/ann', user], [`book.entries/${key}`, old.document]]);
    const commands = scriptedStore(bus, { at: 7, documents }, { at: 7, documents });
    await assert.rejects(book(bus).add(session, 'mail', 'hunter2'), { code: 'ENTRY_EXISTS' });
    assert.deepEqual(shape(commands), ['get held', 'get held', 'get', 'get'], 'nothing written');
  });

  it('reads the latest when its two reads stood at different places, without trying a conditional write', async () => {
    const bus = new Bus();
    const documents = new Map<string, unknown>([['book.users/ann', user]]);
    const commands = scriptedStore(bus, { at: 7, documents, atOf: (key) => (key === 'ann' ? 7 : 8) }, { at: 8, documents });
    await book(bus).add(session, 'mail', 'hunter2');
    assert.deepEqual(shape(commands), ['get held', 'get held', 'get', 'get', 'batch']);
  });

  it('passes on an error of the conditional write other than a conflict, and writes nothing more', async () => {
    const bus = new Bus();
    const documents = new Map<string, unknown>([['book.users/ann', user]]);
    const commands = scriptedStore(bus, { at: 7, documents }, { at: 7, documents }, 'unavailable');
    await assert.rejects(book(bus).add(session, 'mail', 'hunter2'), { code: 'STORE_UNAVAILABLE' });
    assert.deepEqual(shape(commands), ['get held', 'get held', 'batch if-unchanged-since-7']);
  });

  it('takes its own entry, found in the latest after a conflict, as added: a stored write whose answer was lost is not added twice', async () => {
    const bus = new Bus();
    const documents = new Map<string, unknown>([['book.users/ann', user]]);
    const commands = scriptedStore(bus, { at: 7, documents: new Map(documents) }, { at: 7, documents }, 'stored but answered as a conflict');
    await book(bus).add(session, 'mail', 'hunter2');
    assert.deepEqual(shape(commands), ['get held', 'get held', 'batch if-unchanged-since-7', 'get', 'get'], 'no second write, no ENTRY_EXISTS');
  });

  it('keeps what goes alongside (the inbox’s removal) in the conditional batch and in the one after a conflict', async () => {
    const bus = new Bus();
    const held = new Map<string, unknown>([['book.users/ann', user]]);
    const commands = scriptedStore(bus, { at: 7, documents: held }, { at: 8, documents: new Map(held) });
    const alongside = { op: 'delete', collection: 'book.pending', key: 'p1' } as const;
    await book(bus).addEntry(session, 'mail', 'hunter2', [alongside]);
    const batches = commands.filter((command): command is StoreCommand & { op: 'batch' } => command.op === 'batch');
    assert.equal(batches.length, 2);
    for (const batch of batches) assert.deepEqual(batch.writes.at(-1), alongside);
  });

  it('reads the latest at once while another add runs on this node (they would write at once, and one would lose)', async () => {
    const bus = new Bus();
    const documents = new Map<string, unknown>([['book.users/ann', user], ['book.users/bob', { username: 'bob', entriesAdded: 0 }]]);
    const commands = scriptedStore(bus, { at: 7, documents }, { at: 7, documents });
    const entries = book(bus);
    const bob: Session = { ...session, id: 'b', username: 'bob' };
    await Promise.all([entries.add(session, 'mail', 'hunter2'), entries.add(bob, 'mail', 'hunter3')]);
    assert.deepEqual(shape(commands).sort(), ['batch', 'batch if-unchanged-since-7', 'get', 'get', 'get held', 'get held'].sort());
  });

  it('reads once and writes unconditionally on a store whose answers are always the latest (lowdb gives no `at`)', async () => {
    const bus = new Bus();
    const documents = new Map<string, unknown>([['book.users/ann', user]]);
    const commands = scriptedStore(bus, { at: undefined, documents }, { at: 7, documents });
    await book(bus).add(session, 'mail', 'hunter2');
    assert.deepEqual(shape(commands), ['get held', 'get held', 'batch']);
    const refused = new Bus();
    scriptedStore(refused, { at: undefined, documents: new Map() }, { at: 7, documents: new Map() });
    await assert.rejects(book(refused).add(session, 'mail', 'hunter2'), { code: 'SESSION_INVALID' });
  });
});
