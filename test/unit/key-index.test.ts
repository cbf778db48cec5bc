import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KeyIndex } from '../../adapters/store/key-index.ts';
import { groupKey } from '../../src/store/group-key.ts';

/** A seeded generator, so a failure replays the same way. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => (state = (state * 48271) % 2147483647) / 2147483647;
}

describe('the key index', () => {
  it('answers like a plain map and a sorted list through adds, removes and merges of every size', () => {
    for (const [seed, keySpace, askEvery] of [
      [7, 4_000, 0.01],
      [11, 40_000, 0.0005],
    ] as const) {
      const random = seeded(seed);
      const model = new Map<string, number>();
      const initial = Array.from({ length: 500 }, (_, i) => `k${String(i * 7).padStart(5, '0')}`);
      for (const key of initial) model.set(key, key.length % 5);
      const index = new KeyIndex([...initial], initial.map((key) => key.length % 5));
      for (let step = 0; step < 30_000; step++) {
        const base = `k${String(Math.floor(random() * keySpace)).padStart(5, '0')}`;
        const key = random() < 0.2 ? groupKey(base, String(Math.floor(random() * 3))) : base;
        if (random() < 0.55) {
          index.add(key, key.length % 5);
          if (!model.has(key)) model.set(key, key.length % 5);
        } else {
          index.remove(key);
          model.delete(key);
        }
        const probe = `k${String(Math.floor(random() * keySpace)).padStart(5, '0')}`;
        assert.equal(index.shardOf(probe), model.get(probe));
        assert.equal(index.size, model.size);
        if (random() < askEvery) {
          assert.deepEqual(index.keys(), [...model.keys()].sort());
          assert.deepEqual(index.groupKeys(base), [...model.keys()].filter((k) => k.startsWith(groupKey(base, ''))).sort());
          const { keys, shards } = index.toJSON();
          assert.deepEqual(shards, keys.map((k) => model.get(k)));
        }
      }
      assert.deepEqual(index.keys(), [...model.keys()].sort());
    }
  });

  it('sorts by UTF-16 code unit, as Array.prototype.sort does', () => {
    const keys = ['b', 'a', 'B', 'é', 'z', '\u{1F600}', 'ab', ''];
    const index = KeyIndex.fromUnsorted(keys.map((key) => [key, 0] as const));
    assert.deepEqual(index.keys(), [...keys].sort());
  });
});
