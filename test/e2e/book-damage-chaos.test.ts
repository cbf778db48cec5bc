import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runBookDamageExperiments } from '../chaos/book-damage.ts';

describe('book damage chaos, at the size npm test affords', () => {
  it('finds every flipped entry, credential and inbox record offline and contains each online, losing nothing acknowledged', async () => {
    const rows = await runBookDamageExperiments({ scale: 1 });
    assert.equal(rows.length, 3);
    for (const row of rows) {
      assert.ok(row.faultsInjected > 0, row.experiment);
      assert.deepEqual(
        { lost: row.ackedWritesLost, partial: row.partialRegistered, crashes: row.crashes, failures: (row.failures ?? []).length },
        { lost: 0, partial: 0, crashes: 0, failures: 0 },
        `${row.experiment}: ${row.notes}`,
      );
    }
  });
});
