/**
 * How the command line's option table names settings elsewhere: a long flag
 * `--data-dir` is the config key `dataDir` and the variable `SAFEKEEP_DATA_DIR`.
 * Derived, never listed, so a flag added to the table is a key and a variable too.
 */

/** One option of parseArgs' table, as far as the layers care. */
export interface OptionShape {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
}

/** The option table parseArgs is given (`options` of its config). */
export type OptionTable = Readonly<Record<string, OptionShape>>;

/** Flags that are actions, not settings: neither a config key nor a variable. */
export const NOT_SETTINGS: ReadonlySet<string> = new Set(['help', 'version', 'config']);

/**
 * Options whose values are paths: in a config file they are relative to the
 * file's folder (a file means the same wherever the service is started from).
 */
export const PATH_OPTIONS: ReadonlySet<string> = new Set(['source', 'allow', 'data-dir', 'backup-dir', 'record', 'log-file']);

/** `data-dir` → `dataDir`. */
export function configKeyOf(flag: string): string {
  return flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

/** `data-dir` → `SAFEKEEP_DATA_DIR`. */
export function envNameOf(flag: string): string {
  return `SAFEKEEP_${flag.replaceAll('-', '_').toUpperCase()}`;
}

/** The known name nearest to `word` (edit distance), if near enough to be a likely typo. */
export function nearest(word: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(substitution, (previous[j] as number) + 1, (current[j - 1] as number) + 1);
    }
    previous = current;
  }
  return previous[b.length] as number;
}
