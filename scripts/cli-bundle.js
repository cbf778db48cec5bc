import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Where `npm run build` puts the `safekeep` command (one bundle; scripts/build-cli.ts), from the package's folder. */
export const CLI_BUNDLE = 'dist/src/cli/main.js';

/** The source files the bundle was built from, written by the build next to it. */
export const CLI_BUNDLE_INPUTS = 'dist/src/cli/main.inputs.json';

/**
 * Why the command under `root` needs building first, or null when its bundle
 * is newer than every file it was built from. Plain JavaScript, so that
 * `npm start` can ask before anything is built; a few dozen stats, so that
 * asking costs a start next to nothing.
 *
 * @param {string} root the package's folder
 * @returns {string | null}
 * @example
 * const why = whyRebuild(process.cwd()); // 'src/cli/main.ts changed since the last build'
 */
export function whyRebuild(root) {
  const bundle = modifiedAt(path.join(root, CLI_BUNDLE));
  if (bundle === null) return `${CLI_BUNDLE} is not built yet`;
  const inputs = readInputs(path.join(root, CLI_BUNDLE_INPUTS));
  if (inputs === null) return `${CLI_BUNDLE_INPUTS} is missing or unreadable`;
  for (const input of inputs) {
    const modified = modifiedAt(path.join(root, input));
    if (modified === null) return `${input} is gone since the last build`;
    if (modified > bundle) return `${input} changed since the last build`;
  }
  return null;
}

/** @param {string} file */
function modifiedAt(file) {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

/**
 * @param {string} file
 * @returns {string[] | null}
 */
function readInputs(file) {
  try {
    const inputs = JSON.parse(readFileSync(file, 'utf8'));
    return Array.isArray(inputs) && inputs.every((input) => typeof input === 'string') ? inputs : null;
  } catch {
    return null;
  }
}
