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
function scriptedStore(bus: Bus, held: { at: number | undefined; documents: Map<string, unknown> }, latest: { at: number; documents: Map<string, unknown> }) {
  const commands: StoreCommand[] = [];
  bus.on$('store.command').subscribe((command) => {
    commands.push(command);
    const answer = (result: object) => void bus.emit('store.result', { commandId: command.commandId, ok: true, ...result });
    switch (command.op) {
      case 'get': {
        const from = command.allowStale ? held : latest;
        return answer({ value: from.documents.get(`${command.collection}/${command.key}`), ...(command.allowStale && held.at !== undefined ? { at: held.at } : {}) });
      }
      case 'put':
      case 'batch':
      case 'delete':
        if (command.ifUnchangedSince !== undefined && command.ifUnchangedSince !== latest.at) {
          return void bus.emit('store.result', { commandId: command.commandId, ok: false, error: { code: 'STORE_CONFLICT', message: 'written since' } });
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
