import picomatch from 'picomatch';

/** Tells whether a source entry is left out of snapshots. */
export type ExcludeMatcher = (relativePath: string, isDirectory: boolean) => boolean;

/**
 * Compiles `--exclude` globs, matched against paths relative to the source
 * root (as rsync and restic do), with gitignore's rules for where a pattern
 * applies:
 * - a pattern with no `/` matches a name at any depth: `*.log`, `node_modules`;
 * - a pattern with a `/` is anchored at the root: `build/*.o`, `/cache`
 *   (a leading `/` only anchors); `**` crosses folders: `**\/tmp`;
 * - a trailing `/` matches folders only: `cache/`;
 * - an excluded folder leaves out everything under it;
 * - `*` and `?` never cross `/`, and they match dot files too.
 *
 * @example
 * const excluded = excludeMatcher(['*.tmp', 'cache/']);
 * excluded('a/b.tmp', false); // true
 */
export function excludeMatcher(patterns: readonly string[]): ExcludeMatcher {
  const rules = patterns.map((pattern) => {
    const directoryOnly = pattern.endsWith('/');
    let glob = directoryOnly ? pattern.replace(/\/+$/, '') : pattern;
    const anchored = glob.includes('/');
    glob = glob.replace(/^\/+/, '');
    const matches = picomatch(glob, { dot: true });
    return { directoryOnly, anchored, matches };
  });
  if (rules.length === 0) return () => false;
  return (relativePath, isDirectory) => {
    const name = relativePath.slice(relativePath.lastIndexOf('/') + 1);
    return rules.some((rule) => (!rule.directoryOnly || isDirectory) && rule.matches(rule.anchored ? relativePath : name));
  };
}

/** Why a glob cannot be used, or null when it can. */
export function excludeProblem(pattern: string): string | null {
  if (pattern.trim() === '' || pattern.replace(/\/+/g, '') === '') return '--exclude needs a glob such as *.tmp or cache/';
  if (pattern.includes('\0')) return '--exclude globs cannot hold NUL';
  try {
    picomatch.makeRe(pattern);
    return null;
  } catch (error) {
    return `--exclude '${pattern}' is not a glob: ${error instanceof Error ? error.message : String(error)}`;
  }
}
