/** The log's folder under `store/`; no collection may take its name. */
export const LOG_DIR_NAME = 'log';

const COLLECTION_NAME = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$/;

/**
 * Whether a name (of a store command, or of a folder under `store/`) is a
 * collection's: the store and `safekeep check` must agree on which folders
 * hold collections, or check reports as damaged what the store never reads.
 */
export function isCollectionName(name: unknown): name is string {
  return typeof name === 'string' && name !== LOG_DIR_NAME && COLLECTION_NAME.test(name);
}
