/**
 * What one chaos experiment reports: the faults it injected, what it asked of
 * the service, and the three figures that must be 0 (acknowledged writes lost,
 * partial versions registered, crashes: the service dying of anything but the
 * faults themselves). `skipped` says why an experiment could not run here
 * (a missing tool, no permission to mount): it is never counted as passed.
 */
export interface ChaosRow {
  readonly experiment: string;
  readonly faultsInjected: number;
  readonly requestsSent: number;
  readonly ackedWritesLost: number;
  readonly partialRegistered: number;
  readonly crashes: number;
  /** Anything else the experiment checked that failed (a wrong reply, an ordinary client not served…). */
  readonly failures?: readonly string[];
  readonly skipped?: string;
  readonly notes?: string;
}

/** Whether a row keeps every promise: nothing lost, nothing partial, no crash, no failed check. */
export function rowHolds(row: ChaosRow): boolean {
  return row.skipped !== undefined || (row.ackedWritesLost === 0 && row.partialRegistered === 0 && row.crashes === 0 && (row.failures ?? []).length === 0);
}

/** The rows as a fixed-width table, the way `npm run chaos` prints them. */
export function chaosTable(rows: readonly ChaosRow[]): string {
  const header = ['experiment', 'faults', 'requests', 'lost', 'partial', 'crashes', 'result'];
  const body = rows.map((row) => [
    row.experiment,
    String(row.faultsInjected),
    String(row.requestsSent),
    String(row.ackedWritesLost),
    String(row.partialRegistered),
    String(row.crashes),
    row.skipped !== undefined ? `SKIPPED: ${row.skipped}` : rowHolds(row) ? 'ok' : `FAILED: ${(row.failures ?? []).join('; ') || 'see figures'}`,
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...body.map((cells) => (cells[column] as string).length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => (column === 0 || column === cells.length - 1 ? cell.padEnd(widths[column] as number) : cell.padStart(widths[column] as number))).join(' | ').trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('-|-'), ...body.map(line)].join('\n');
}
