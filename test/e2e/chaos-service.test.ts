import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runBookWriteKills } from '../chaos/book-write-kills.ts';
import { runCheckpointKills } from '../chaos/checkpoint-kills.ts';
import { rowHolds, type ChaosRow } from '../chaos/chaos-row.ts';
import { runDiskFull } from '../chaos/disk-full.ts';
import { runSigtermUnderLoad } from '../chaos/sigterm-under-load.ts';

/** Asserts a row kept every promise, with what broke in the message. */
function assertHolds(row: ChaosRow): void {
  assert.ok(rowHolds(row), `${row.experiment}: lost ${row.ackedWritesLost}, partial ${row.partialRegistered}, crashes ${row.crashes}; ${(row.failures ?? []).join('; ')}`);
  assert.ok(row.faultsInjected > 0, `${row.experiment} injected no fault`);
}

describe('chaos: the whole service under faults (modest size; `npm run chaos -- --full` for the full one)', () => {
  it('loses no acknowledged book write to kill -9 during writes from several clients', async () => {
    assertHolds(await runBookWriteKills({ kills: 3, writes: 150, clients: 3 }));
  });

  it('loses no acknowledged book write to kill -9 while the store checkpoints all the time', async () => {
    assertHolds(await runCheckpointKills({ kills: 3, writes: 150, clients: 3 }));
  });

  it('answers a full disk with coded errors, keeps serving, recovers when space returns, and loses nothing acknowledged', async (t) => {
    const row = await runDiskFull();
    if (row.skipped) return t.skip(row.skipped);
    assertHolds(row);
  });

  it('on SIGTERM under load (and a client that never reads) answers every request it received and exits 0 within the bound', async () => {
    assertHolds(await runSigtermUnderLoad({ clients: 6 }));
  });
});
