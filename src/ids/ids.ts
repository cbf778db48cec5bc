import { nanoid } from 'nanoid';

/**
 * Where every generated identifier comes from (connection, request, temp-file
 * and store-command ids). Injected so that tests and replays get the same ids
 * run after run.
 */
export interface IdSource {
  /** A new id that starts with `prefix`, unique within this process. */
  next(prefix: string): string;
}

/**
 * Random ids: `prefix` followed by 12 url-safe nanoid characters.
 *
 * @example
 * randomIds.next('conn'); // 'conn_V1StGXR8_Z5j'
 */
export const randomIds: IdSource = {
  next: (prefix) => `${prefix}_${nanoid(12)}`,
};

/**
 * Deterministic ids: `prefix` followed by a counter per prefix.
 *
 * @example
 * const ids = sequentialIds();
 * ids.next('conn'); // 'conn_1'
 * ids.next('conn'); // 'conn_2'
 */
export function sequentialIds(): IdSource {
  const counters = new Map<string, number>();
  return {
    next(prefix) {
      const n = (counters.get(prefix) ?? 0) + 1;
      counters.set(prefix, n);
      return `${prefix}_${n}`;
    },
  };
}
