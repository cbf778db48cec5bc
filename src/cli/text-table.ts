/** A column of a text table: its heading, and `right` for numbers. */
export interface TableColumn {
  readonly heading: string;
  readonly right?: boolean;
}

/**
 * Rows under headings, each column as wide as its widest cell, two spaces
 * between; the last column is not padded (no trailing blanks).
 *
 * @example
 * renderTable([{ heading: 'JOB' }, { heading: 'SIZE', right: true }], [['notes.txt', '1.5 KiB']]);
 * // JOB           SIZE
 * // notes.txt  1.5 KiB
 */
export function renderTable(columns: readonly TableColumn[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((column, i) => Math.max(column.heading.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    columns
      .map((column, i) => {
        const cell = cells[i] ?? '';
        const width = widths[i] as number;
        return column.right ? cell.padStart(width) : i === columns.length - 1 ? cell : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((column) => column.heading)), ...rows.map(line)].map((text) => `${text}\n`).join('');
}
