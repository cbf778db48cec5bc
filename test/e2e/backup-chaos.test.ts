import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runBackupIntegrityExperiments } from '../chaos/backup-integrity.ts';

// The modest CI size of the backup chaos experiments (`runBackupIntegrityExperiments({ scale: 200 })` on demand).
describe('backup chaos, CI size', () => {
  it('loses no acknowledged backup, registers nothing partial, serves nothing damaged and never crashes', async () => {
    const rows = await runBackupIntegrityExperiments({ scale: 2, fileBytes: 16 * 1024 * 1024 });
    const table = rows.map((row) => `${row.experiment}: faults ${row.faultsInjected}, requests ${row.requestsSent}, lost ${row.ackedWritesLost}, partial ${row.partialRegistered}, crashes ${row.crashes} (${row.notes})`).join('\n');
    for (const row of rows) {
      assert.equal(row.ackedWritesLost + row.partialRegistered + row.crashes, 0, table);
      // A fault that was not injected proves nothing: it must say it was skipped.
      if (row.faultsInjected === 0) assert.match(row.notes, /skipped/, table);
    }
    assert.ok(rows.some((row) => row.experiment.startsWith('kill -9') && row.faultsInjected === 2), table);
    assert.ok(rows.some((row) => row.experiment.startsWith('byte flips') && row.faultsInjected >= 3), table);
  });
});
