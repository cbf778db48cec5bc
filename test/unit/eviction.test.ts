import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pickEvictee, type EvictionRank } from '../../adapters/socket/eviction.ts';

const pick = (ranks: Record<string, EvictionRank>) => pickEvictee(Object.keys(ranks), (name) => ranks[name] as EvictionRank);

describe('choosing a connection to make room for a new client', () => {
  it('takes a closing one first, then the longest idle', () => {
    assert.equal(pick({ a: { state: 'idle', since: 5 }, b: { state: 'closing', since: 0 }, c: { state: 'partial', since: 1 } }), 'b');
    assert.equal(pick({ a: { state: 'idle', since: 5 }, b: { state: 'idle', since: 2 }, c: { state: 'partial', since: 1 } }), 'b');
  });

  it('takes the earliest-begun partial request when none is idle', () => {
    assert.equal(pick({ a: { state: 'partial', since: 7 }, b: { state: 'busy', since: 0 }, c: { state: 'partial', since: 3 } }), 'c');
  });

  it('never takes a connection waiting for answers', () => {
    assert.equal(pick({ a: { state: 'busy', since: 0 }, b: { state: 'busy', since: 0 } }), null);
    assert.equal(pick({}), null);
  });
});
