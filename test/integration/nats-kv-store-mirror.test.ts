import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeDocumentKvKey, documentKvKey } from '../../adapters/nats/kv-keys.ts';
import { KvMirror } from '../../adapters/nats/kv-mirror.ts';
import { groupKey } from '../../src/store/group-key.ts';

// The NATS store's in-memory parts, without a server: how keys are named in the bucket and the order rules of the mirror.
describe('the NATS store’s KV keys', () => {
  it('round-trips every key through a valid KV key, grouped keys under their group', () => {
    const keys = ['plain', '', groupKey('', ''), groupKey('ann', 'x.y'), 'ü *>', '\u0000', groupKey('a', groupKey('b', 'c')), 'x'.repeat(1024)];
    for (const key of keys) {
      const { kvKey, hashed } = documentKvKey('book.entries', key);
      assert.equal(hashed, false);
      assert.match(kvKey, /^[-/_=.a-zA-Z0-9]+$/);
      assert.deepEqual(decodeDocumentKvKey(kvKey), { collection: 'book.entries', key });
    }
    assert.notEqual(documentKvKey('c', groupKey('ann', 'x')).kvKey, documentKvKey('c', 'ann').kvKey);
  });

  it('names a key too long for a subject by its hash, which only a header can decode', () => {
    const { kvKey, hashed } = documentKvKey('c', '密'.repeat(1024));
    assert.equal(hashed, true);
    assert.ok(kvKey.length < 200);
    assert.equal(decodeDocumentKvKey(kvKey), null);
  });
});

describe('the NATS store’s mirror', () => {
  it('keeps a later batch’s write when an older batch’s copy arrives after it', () => {
    const mirror = new KvMirror();
    mirror.applyDocument(1, 'c', 'k', { present: true, value: 'plain' });
    mirror.applyBatch({ id: 'old', sequence: 2, node: 'a', at: 0, writes: [{ op: 'put', collection: 'c', key: 'k', value: 'old batch' }] });
    mirror.applyBatch({ id: 'new', sequence: 3, node: 'b', at: 0, writes: [{ op: 'put', collection: 'c', key: 'k', value: 'new batch' }] });
    // The old batch's materialised copy, made before its node saw the new batch.
    assert.equal(mirror.applyDocument(4, 'c', 'k', { present: true, value: 'old batch', origin: 2 }), null);
    assert.equal(mirror.get('c', 'k'), 'new batch');
    assert.deepEqual(mirror.slot('c', 'k'), { position: 3, subjectSequence: 4 });
    mirror.applyDocument(5, 'c', 'k', { present: true, value: 'new batch', origin: 3 });
    assert.equal(mirror.get('c', 'k'), 'new batch');
    assert.deepEqual(mirror.slot('c', 'k'), { position: 3, subjectSequence: 5 });
  });

  it('keeps a deleted document deleted against an older batch, and counts and groups what is present', () => {
    const mirror = new KvMirror();
    mirror.applyBatch({ id: 'b', sequence: 1, node: 'a', at: 0, writes: [
      { op: 'put', collection: 'c', key: groupKey('ann', '1'), value: 1 },
      { op: 'put', collection: 'c', key: groupKey('ann', '2'), value: 2 },
    ] });
    assert.deepEqual(mirror.applyDocument(2, 'c', groupKey('ann', '1'), { present: false }), { collection: 'c', key: groupKey('ann', '1'), deleted: true });
    mirror.applyDocument(3, 'c', groupKey('ann', '1'), { present: true, value: 1, origin: 1 });
    assert.equal(mirror.get('c', groupKey('ann', '1')), undefined);
    assert.equal(mirror.count('c'), 1);
    assert.deepEqual(mirror.keys('c', 'ann'), [groupKey('ann', '2')]);
    assert.deepEqual(mirror.list('c', undefined), { [groupKey('ann', '2')]: 2 });
    mirror.forgetBatch(4, 'b');
    assert.deepEqual(mirror.batches(), []);
    assert.equal(mirror.applied, 4);
  });

  it('counts the sequences the stream skipped, and takes a copy of a batch whose record it never saw as news', () => {
    // What a watch made again after a failover reads: batch record 2 was materialised (copies 4, 5) and deleted (6) before the watch got there.
    const mirror = new KvMirror();
    mirror.applyDocument(1, 'c', 'before', { present: true, value: 0 });
    assert.equal(mirror.gaps, 0);
    mirror.applyDocument(3, 'c', 'other', { present: true, value: 'plain' });
    assert.equal(mirror.gaps, 1, 'sequence 2 was never delivered');
    assert.equal(mirror.get('c', 'k'), undefined, 'at sequence 3 the mirror lacks what the removed record said: a read must not stop here');
    assert.deepEqual(mirror.applyDocument(4, 'c', 'k', { present: true, value: 'from the batch', origin: 2 }), { collection: 'c', key: 'k', value: 'from the batch' });
    assert.deepEqual(mirror.applyDocument(5, 'c', 'gone', { present: false, origin: 2 }), { collection: 'c', key: 'gone', deleted: true });
    mirror.forgetBatch(6, 'never-seen');
    assert.equal(mirror.get('c', 'k'), 'from the batch');
    assert.equal(mirror.gaps, 1);

    // A copy of a batch the mirror did apply is not news: its change was told when the batch came.
    mirror.applyBatch({ id: 'seen', sequence: 7, node: 'a', at: 0, writes: [{ op: 'put', collection: 'c', key: 'k', value: 'seen' }] });
    assert.equal(mirror.applyDocument(8, 'c', 'k', { present: true, value: 'seen', origin: 7 }), null);
    mirror.advance(10);
    assert.equal(mirror.gaps, 2);
  });

  it('answers a wait at the sequence, or false at its bound or on release', async () => {
    // The mirror's bound timers keep no process alive (they are unref'd): this one keeps the test's alive.
    const keepAlive = setTimeout(() => undefined, 5_000);
    const mirror = new KvMirror();
    const reached = mirror.reached(2, 10_000);
    const released = mirror.reached(9, 10_000);
    const bounded = mirror.reached(9, 10);
    mirror.advance(1);
    mirror.advance(2);
    assert.equal(await reached, true);
    assert.equal(await bounded, false);
    mirror.release();
    assert.equal(await released, false);
    assert.equal(await mirror.reached(1, 0), true);
    clearTimeout(keepAlive);
  });
});
