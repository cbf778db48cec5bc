import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { jetstream } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import { groupKey } from '../../src/store/group-key.ts';
import { natsServerOr, startNatsCluster, type NatsCluster } from '../helpers/nats-cluster.ts';
import { openNatsStore, type OpenedNatsStore } from '../helpers/open-nats-store.ts';

/** Waits for a condition with a deadline (no fixed sleeps). */
async function eventually(test: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the NATS KV store', () => {
  let nats: NatsCluster | null = null;
  let a: OpenedNatsStore;
  let b: OpenedNatsStore;
  let prefix = 0;
  /** A fresh bucket prefix per test, so tests do not see each other's documents. */
  const fresh = () => `t${++prefix}`;
  const opened: OpenedNatsStore[] = [];
  const open = async (...args: Parameters<typeof openNatsStore>) => {
    const store = await openNatsStore(...args);
    opened.push(store);
    return store;
  };

  before(async () => {
    if (natsServerOr({ skip: () => undefined })) nats = await startNatsCluster({ label: 'nats-kv-store' });
  });
  after(async () => {
    for (const store of opened) await store.close().catch(() => undefined);
  });

  /** Two nodes (two buses, two links) on one bucket, each on another server. */
  async function twoNodes(options: { announce?: readonly string[] } = {}): Promise<string> {
    const name = fresh();
    const urls = (nats as NatsCluster).urls;
    a = await open([urls[0] as string], 'a', { name, ...options });
    b = await open([urls[1] as string], 'b', { name, ...options });
    return name;
  }

  it('answers every operation of the store contract', async (t) => {
    if (!natsServerOr(t) || !nats) return;
    await twoNodes();
    const { client } = a;
    assert.equal(a.store.replicas, 3);
    await client.put('backup.jobs', 'notes.json', { id: 'notes.json', n: 1 });
    await client.put('backup.jobs', 'todo.txt', { id: 'todo.txt', n: 2 });
    assert.deepEqual(await client.get('backup.jobs', 'notes.json'), { id: 'notes.json', n: 1 });
    assert.equal(await client.get('backup.jobs', 'missing'), undefined);
    await client.delete('backup.jobs', 'todo.txt');
    assert.deepEqual(await client.list('backup.jobs'), { 'notes.json': { id: 'notes.json', n: 1 } });
    assert.deepEqual(await client.keys('backup.jobs'), ['notes.json']);
    assert.equal(await client.count('backup.jobs'), 1);
    assert.equal(a.store.countNow('backup.jobs'), 1);
    assert.deepEqual(await client.list('never.written'), {});
    assert.equal(await client.count('never.written'), 0);
    const whole = await client.listWhole('backup.jobs');
    assert.deepEqual(whole, { documents: { 'notes.json': { id: 'notes.json', n: 1 } }, damagedShards: [] });
    // Deleting what is not there is fine, as on lowdb.
    await client.delete('backup.jobs', 'never');
    await client.batch([]);
  });

  it('sees the other node’s writes in its next get, list, keys and count', async (t) => {
    if (!natsServerOr(t) || !nats) return;
    await twoNodes();
    for (let i = 0; i < 20; i++) {
      await a.client.put('things', `k${i}`, { i });
      assert.deepEqual(await b.client.get('things', `k${i}`), { i }, `b reads a's write ${i} at once`);
      assert.equal(await b.client.count('things'), i + 1);
    }
    await b.client.delete('things', 'k3');
    assert.equal(await a.client.get('things', 'k3'), undefined);
    assert.equal(Object.keys(await a.client.list('things')).length, 19);
    assert.equal((await a.client.keys('things')).length, 19);
    assert.equal(a.store.countNow('things'), 19);
  });

  it('answers a read that allows staleness at once with where it stood, and makes a write conditional on it only if nothing was written since', async (t) => {
    if (!natsServerOr(t) || !nats) return;
    await twoNodes();
    await a.client.put('things', 'k', 1);
    const held = await a.client.getAllowingStale<number>('things', 'k');
    assert.equal(held.value, 1);
    assert.ok(typeof held.at === 'number' && held.at > 0, `a position (${held.at})`);
    // Nothing written since: made, single put and batch alike.
    await a.client.put('things', 'k', 2, { ifUnchangedSince: held.at });
    const next = await a.client.getAllowingStale<number>('things', 'k');
    assert.equal(next.value, 2);
    await a.client.batch(
      [
        { op: 'put', collection: 'things', key: 'k', value: 3 },
        { op: 'put', collection: 'things', key: 'j', value: 3 },
      ],
      { ifUnchangedSince: next.at as number },
    );
    // Another node wrote since (anything, anywhere in the store): refused, nothing written.
    const stale = await a.client.getAllowingStale<number>('things', 'k');
    await b.client.put('other', 'x', 1);
    await assert.rejects(a.client.put('things', 'k', 4, { ifUnchangedSince: stale.at as number }), { code: 'STORE_CONFLICT' });
    await assert.rejects(
      a.client.batch(
        [
          { op: 'put', collection: 'things', key: 'k', value: 5 },
          { op: 'delete', collection: 'things', key: 'j' },
        ],
        { ifUnchangedSince: stale.at as number },
      ),
      { code: 'STORE_CONFLICT' },
    );
    assert.deepEqual(await b.client.list('things'), { k: 3, j: 3 });
    for (const odd of [-1, 1.5, '7', Number.MAX_SAFE_INTEGER + 1]) {
      await assert.rejects(a.client.put('things', 'k', 6, { ifUnchangedSince: odd as number }), { code: 'INVALID_STORE_COMMAND' });
    }
    assert.equal(await b.client.get('things', 'k'), 3);
  });

  it('finds a retried conditional write (same msgID) a duplicate, never a conflict, even once the stream moved on: what the book relies on', async (t) => {
    if (!natsServerOr(t) || !nats) return;
    const name = await twoNodes();
    const nc = await connect({ servers: (nats as NatsCluster).urls });
    try {
      const js = jetstream(nc);
      const subject = `$KV.${name}-store.x.retry`;
      const last = (await js.publish(subject, 'first')).seq;
      const stored = await js.publish(subject, 'conditional', { msgID: 'retry-1', expect: { lastSequence: last } });
      await js.publish(`$KV.${name}-store.x.other`, 'someone else');
      // The retry of a write whose answer was lost: its condition no longer holds, its msgID says it was stored.
      const retried = await js.publish(subject, 'conditional', { msgID: 'retry-1', expect: { lastSequence: last } });
      assert.equal(retried.duplicate, true);
      assert.equal(retried.seq, stored.seq);
    } finally {
      await nc.close();
    }
  });

  it('keeps odd keys and groups apart: unicode, NUL, dots, wildcards, spaces, an empty group, 1024 characters', async (t) => {
    if (!natsServerOr(t) || !nats) return;
    await twoNodes();
    const keys = [
      'ünïcødé ✓ 密码',
      'a.b.c',
      '*',
      '>',
      'with space',
      '__proto__',
      '.',
      groupKey('', 'empty group'),
      groupKey('ann', 'x'),
      groupKey('ann', ''),
      groupKey('ann', 'y.z>*'),
      groupKey('bob', 'x'),
      groupKey('ann\u0000inner', 'x'),
      'x'.repeat(1024),
      '密'.repeat(1024),
      groupKey('g', '🔑'.repeat(511)),
    ];
    for (const [i, key] of keys.entries()) await a.client.put('odd', key, { i });
    for (const [i, key] of keys.entries()) assert.deepEqual(await b.client.get('odd', key), { i }, `key #${i}`);
    assert.deepEqual((await b.client.keys('odd')).sort(), [...keys].sort());
    assert.deepEqual((await b.client.keys('odd', { group: 'ann' })).sort(), [groupKey('ann', ''), groupKey('ann', 'x'), groupKey('ann', 'y.z>*'), groupKey('ann\u0000inner', 'x')].sort());
    assert.deepEqual(await b.client.list('odd', { group: 'bob' }), { [groupKey('bob', 'x')]: { i: 11 } });
    // An empty group is a key's, not a query's: lowdb refuses `group: ''` too.
    await assert.rejects(b.client.list('odd', { group: '' }), { code: 'INVALID_STORE_COMMAND' });
    await b.client.delete('odd', '密'.repeat(1024));
    assert.equal(await a.client.get('odd', '密'.repeat(1024)), undefined);
    assert.equal(await a.client.count('odd'), keys.length - 1);
  });

  it('refuses invalid commands with INVALID_STORE_COMMAND and writes nothing of them', async (t) => {
    if (!natsServerOr(t) || !nats) return;
    await twoNodes();
    await a.client.put('things', 'kept', 1);
    await assert.rejects(a.client.put('../escape', 'k', 1), { code: 'INVALID_STORE_COMMAND' });
    await assert.rejects(a.client.put('ok', '', 1), { code: 'INVALID_STORE_COMMAND' });
    await assert.rejects(a.client.put('ok', 'x'.repeat(1025), 1), { code: 'INVALID_STORE_COMMAND' });
    await assert.rejects(a.client.put('things', 'hollow', undefined), { code: 'INVALID_STORE_COMMAND' });
    await assert.rejects(a.client.put('things', 'big', 10n), { code: 'INVALID_STORE_COMMAND' });
    await assert.rejects(a.client.keys('things', { group: '' }), { code: 'INVALID_STORE_COMMAND' });
    await assert.rejects(
      a.client.batch([
        { op: 'put', collection: 'things', key: 'fine', value: 2 },
        { op: 'put', collection: 'things', key: 'hollow', value: undefined },
      ]),
      { code: 'INVALID_STORE_COMMAND' },
    );
    const huge = 'x'.repeat(600 * 1024);
    await assert.rejects(
      a.client.batch([
        { op: 'put', collection: 'things', key: 'h1', value: huge },
        { op: 'put', collection: 'things', key: 'h2', value: huge },
      ]),
      (error: Error & { code?: string }) => error.code === 'INVALID_STORE_COMMAND' && /largest message/.test(error.message),
    );
    const unknown = await new Promise<{ ok: boolean; error?: { code: string } }>((resolve) => {
      a.bus.on$('store.result').subscribe((result) => result.commandId === 'odd-1' && resolve(result as never));
      void a.bus.emit('store.command', { commandId: 'odd-1', op: 'shred' } as never);
    });
    assert.equal(unknown.error?.code, 'INVALID_STORE_COMMAND');
    assert.deepEqual(await b.client.keys('things'), ['kept']);
  });

  it('makes a batch visible to another node all at once, and materialises it to its own keys afterwards', async (t) => {
    if (!natsServerOr(t) || !nats) return;
    await twoNodes();
    let halves = 0;
    let reads = 0;
    let stop = false;
    // A reader on node b that must never see one write of a batch without the other.
    const watcher = (async () => {
      while (!stop) {
        // One read is one snapshot of the mirror (two gets are two reads, a batch may land between them).
        const listed = await b.client.list<number>('pairs');
        if (listed['x'] !== listed['y']) halves++;
        reads++;
      }
    })();
    for (let i = 1; i <= 30; i++) {
      await a.client.batch([
        { op: 'put', collection: 'pairs', key: 'x', value: i },
        { op: 'put', collection: 'pairs', key: 'y', value: i },
      ]);
    }
    stop = true;
    await watcher;
    assert.equal(halves, 0, `${halves} of ${reads} reads saw half a batch`);
    assert.ok(reads > 5, `only ${reads} reads`);
    await a.store.materialised();
    // Materialised: the batch records are gone and each key holds its last value on its own.
    const fresh = await open([nats.urls[2] as string], 'c', { name: currentName() });
    assert.deepEqual(await fresh.client.list('pairs'), { x: 30, y: 30 });
    await eventually(async () => (await bucketKeys(currentName())).every((key) => !key.startsWith('b.')), 'the batch records to be deleted');
  });

  it('never lets an older batch’s materialisation overwrite a newer single write', async (t) => {
    if (!natsServerOr(t) || !nats) return;
    await twoNodes();
    const name = currentName();
    // A batch record put straight into the bucket, as a node killed before materialising would leave it.
    await publishBatchRecord(name, 'leftover1', [
      { op: 'put', collection: 'cas', key: 'k', value: 'from the batch' },
      { op: 'put', collection: 'cas', key: 'other', value: 'from the batch' },
      { op: 'delete', collection: 'cas', key: 'gone' },
    ]);
    await b.client.put('cas', 'k', 'newer single write');
    // A node that starts now materialises the leftover record.
    const c = await open([nats.urls[2] as string], 'c', { name });
    await c.store.materialised();
    await eventually(async () => !(await bucketKeys(name)).some((key) => key.startsWith('b.')), 'the leftover record to be materialised');
    const d = await open([nats.urls[0] as string], 'd', { name });
    assert.deepEqual(await d.client.list('cas'), { k: 'newer single write', other: 'from the batch' });
  });

  it('materialises leftover batch records on start, and keeps the later of two batches', async (t) => {
    if (!natsServerOr(t) || !nats) return;
    const name = fresh();
    await publishBatchRecord(name, 'old', [
      { op: 'put', collection: 'left', key: 'k', value: 1 },
      { op: 'put', collection: 'left', key: 'j', value: 1 },
    ]);
    await publishBatchRecord(name, 'new', [
      { op: 'put', collection: 'left', key: 'k', value: 2 },
      { op: 'put', collection: 'left', key: 'i', value: 2 },
    ]);
    const c = await open([nats.urls[1] as string], 'c', { name });
    assert.deepEqual(await c.client.list('left'), { k: 2, j: 1, i: 2 });
    await c.store.materialised();
    await eventually(async () => !(await bucketKeys(name)).some((key) => key.startsWith('b.')), 'the records to be materialised');
    const d = await open([nats.urls[2] as string], 'd', { name });
    assert.deepEqual(await d.client.list('left'), { k: 2, j: 1, i: 2 });
  });

  it('tells store.changed only for announced collections and only of other nodes’ writes', async (t) => {
    if (!natsServerOr(t) || !nats) return;
    await twoNodes();
    await a.client.put('backup.jobs', 'j1', { id: 'j1' });
    await a.client.put('book.entries', 'e1', 'sealed');
    await a.client.batch([
      { op: 'put', collection: 'backup.versions', key: 'v1', value: { id: 'v1' } },
      { op: 'put', collection: 'book.entries', key: 'e2', value: 'sealed' },
    ]);
    await a.client.delete('backup.jobs', 'j1');
    await a.store.materialised();
    await b.client.put('backup.jobs', 'mine', { id: 'mine' });
    await eventually(() => b.changes.length >= 3, 'b to hear of a’s catalog changes');
    // Reads behind the barrier: each node's mirror has applied (and told) every write before them.
    await b.client.count('backup.jobs');
    await a.client.count('backup.jobs');
    assert.deepEqual(b.changes, [
      { collection: 'backup.jobs', key: 'j1', value: { id: 'j1' } },
      { collection: 'backup.versions', key: 'v1', value: { id: 'v1' } },
      { collection: 'backup.jobs', key: 'j1', deleted: true },
    ]);
    assert.deepEqual(a.changes, [{ collection: 'backup.jobs', key: 'mine', value: { id: 'mine' } }]);
  });

  it('keeps its data across a restart of every NATS server', async (t) => {
    if (!natsServerOr(t) || !nats) return;
    await twoNodes();
    await a.client.put('kept', 'one', 1);
    await a.client.batch([
      { op: 'put', collection: 'kept', key: 'two', value: 2 },
      { op: 'put', collection: 'kept', key: 'three', value: 3 },
    ]);
    await a.store.materialised();
    await Promise.all([a.close(), b.close()]);
    for (const i of [0, 1, 2]) await nats.kill(i, 'SIGTERM');
    for (const i of [0, 1, 2]) await nats.restart(i);
    await nats.ready();
    const c = await open(nats.urls, 'c', { name: currentName() });
    assert.deepEqual(await c.client.list('kept'), { one: 1, two: 2, three: 3 });
    await c.client.put('kept', 'four', 4);
    assert.equal(await c.client.count('kept'), 4);
  });

  it('makes its bucket with one replica on a lone NATS server, whatever replicas it was given', async (t) => {
    if (!natsServerOr(t)) return;
    const lone = await startNatsCluster({ servers: 1, label: 'nats-kv-lone' });
    const store = await open(lone.urls, 'solo', { name: fresh(), replicas: 3 });
    assert.equal(store.store.replicas, 1);
    await store.client.put('things', 'k', 1);
    assert.equal(await store.client.get('things', 'k'), 1);
  });

  /** The prefix of the last twoNodes() (or fresh()) call. */
  function currentName(): string {
    return `t${prefix}`;
  }

  /** Every key of a bucket, read with a plain NATS client. */
  async function bucketKeys(name: string): Promise<string[]> {
    const nc = await connect({ servers: (nats as NatsCluster).urls });
    try {
      const { Kvm } = await import('@nats-io/kv');
      const kv = await new Kvm(nc).open(`${name}-store`);
      const keys: string[] = [];
      for await (const key of await kv.keys()) keys.push(key);
      return keys;
    } finally {
      await nc.close();
    }
  }

  /** Puts a batch record into a bucket (made if missing) as a node that died before materialising it would have left it. */
  async function publishBatchRecord(name: string, id: string, writes: unknown[]): Promise<void> {
    const nc = await connect({ servers: (nats as NatsCluster).urls });
    try {
      const { Kvm } = await import('@nats-io/kv');
      await new Kvm(nc).create(`${name}-store`, { replicas: 3, history: 1, allow_direct: false });
      const marks = headers();
      marks.set('Safekeep-Node', 'dead');
      await jetstream(nc).publish(`$KV.${name}-store.b.${id}`, JSON.stringify({ node: 'dead', at: 0, writes }), { headers: marks });
    } finally {
      await nc.close();
    }
  }
});
