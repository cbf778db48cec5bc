import path from 'node:path';
import { auditJobFolder, type FolderAudit } from './chaos-process.ts';
import { ask, note, sha256Of, type ExperimentRow } from './chaos-support.ts';

/**
 * Checks what a restart found: the job folder against the catalog, every
 * acknowledged backup still registered and intact, and `revert` serving a
 * backed-up state. Adds what is wrong to the row.
 */
export async function checkAfterRestart(input: {
  row: ExperimentRow;
  dataDir: string;
  jobDir: string;
  port: number;
  acked: ReadonlySet<string>;
  states: ReadonlySet<string>;
  damagedOnPurpose?: ReadonlySet<string>;
}): Promise<FolderAudit> {
  const { row } = input;
  const audit = await auditJobFolder(input.dataDir, input.jobDir);
  // A version damaged on purpose is not partial: it only has to be quarantined before it could be served.
  const partial = audit.partialRegistered.filter(
    (key) => !input.damagedOnPurpose?.has(audit.checks.find((check) => check.versionId === key)?.expectedSha256 ?? ''),
  );
  row.partialRegistered += partial.length + audit.orphans.length + audit.tempFiles.length;
  if (partial.length > 0) note(row, `registered but not intact: ${partial.join(', ')}`);
  if (audit.orphans.length > 0) note(row, `orphans left: ${audit.orphans.join(", ")} (catalog: ${audit.checks.map((check) => `${check.versionId}=${check.path ? path.basename(check.path) : "?"}`).join(" ")})`);
  if (audit.tempFiles.length > 0) note(row, `temp files left: ${audit.tempFiles.join(', ')}`);
  const intact = new Set(audit.checks.filter((check) => !check.damaged).map((check) => check.actualSha256));
  for (const sha of input.acked) {
    // A version damaged on purpose is checked by `verify` and by what revert serves, not here.
    if (intact.has(sha) || input.damagedOnPurpose?.has(sha)) continue;
    row.ackedWritesLost++;
    note(row, `acknowledged backup ${sha.slice(0, 12)} lost`);
  }
  const reverted = await ask(input.port, 'revert');
  row.requestsSent++;
  if (reverted === 'No backup found.') {
    if (input.acked.size > 0 && intact.size > 0) {
      row.partialRegistered++;
      note(row, 'revert found nothing while intact versions exist');
    }
    return audit;
  }
  const served = await sha256Of(reverted).catch(() => 'unreadable');
  const record = audit.checks.find((check) => check.path === reverted);
  if (!input.states.has(served) || record?.expectedSha256 !== served || record.damaged) {
    row.partialRegistered++;
    note(row, `revert served ${path.basename(reverted)}, which is not an intact backed-up state`);
  }
  return audit;
}

