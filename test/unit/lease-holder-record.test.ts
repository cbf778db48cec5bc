import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LeaseRecord } from '../../adapters/nats/lease-keys.ts';
import { leaseHolderOf } from '../../adapters/nats/registry-record.ts';

describe('leaseHolderOf', () => {
  it('reads when the holder last wrote the lease from the record as the leases adapter writes it', () => {
    const written: LeaseRecord = { jobId: 'notes.txt', node: 'a', at: 1_764_300_000_000, hold: 'token' };
    assert.deepEqual(leaseHolderOf(JSON.parse(JSON.stringify(written))), { node: 'a', renewedAt: 1_764_300_000_000 });
  });

  it('shows 0 for a record without a time, and nothing for one without a node', () => {
    assert.deepEqual(leaseHolderOf({ node: 'a' }), { node: 'a', renewedAt: 0 });
    assert.equal(leaseHolderOf({ at: 5 }), null);
  });
});
