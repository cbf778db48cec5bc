import { createHash } from 'node:crypto';
import { GROUP_SEPARATOR } from '../../src/store/group-key.ts';

/**
 * Where a document lives in the store's KV bucket. KV keys allow only
 * `[-/_=.A-Za-z0-9]`, so every part is a base64url token behind a prefix
 * character (an empty string is still a token): `d.<coll>.<group>.<rest>` for
 * a grouped key (`groupKey(group, rest)`), `d.<coll>._.<key>` for the others.
 * A key too long for a subject (NATS refuses control lines past 4 KiB) is
 * named by its SHA-256 instead, `d.<coll>.#.<hash>`, and its messages carry
 * the key in a header.
 */
export const DOCUMENT_PREFIX = 'd.';
export const BATCH_PREFIX = 'b.';
/** Beyond this many characters a key's token is its hash (a 1024-character key of 3-byte characters encodes to 4 KiB). */
const LONGEST_TOKEN = 1500;
const HASHED = 'h';

export interface DocumentAddress {
  readonly collection: string;
  readonly key: string;
}

const token = (text: string): string => `x${Buffer.from(text, 'utf8').toString('base64url')}`;
const untoken = (text: string): string | null => (text.startsWith('x') ? Buffer.from(text.slice(1), 'base64url').toString('utf8') : null);

/** The KV key of a document, and whether its messages must carry the key in a header (a hashed key). */
export function documentKvKey(collection: string, key: string): { readonly kvKey: string; readonly hashed: boolean } {
  const separator = key.indexOf(GROUP_SEPARATOR);
  const tail = separator < 0 ? `_.${token(key)}` : `${token(key.slice(0, separator))}.${token(key.slice(separator + 1))}`;
  if (tail.length <= LONGEST_TOKEN) return { kvKey: `${DOCUMENT_PREFIX}${token(collection)}.${tail}`, hashed: false };
  return { kvKey: `${DOCUMENT_PREFIX}${token(collection)}.${HASHED}.${HASHED}${createHash('sha256').update(key).digest('base64url')}`, hashed: true };
}

/** The document a KV key names; null for a hashed key (its header names it) or one safekeep did not write. */
export function decodeDocumentKvKey(kvKey: string): DocumentAddress | null {
  if (!kvKey.startsWith(DOCUMENT_PREFIX)) return null;
  const parts = kvKey.slice(DOCUMENT_PREFIX.length).split('.');
  if (parts.length !== 3) return null;
  const [collectionToken, groupToken, restToken] = parts as [string, string, string];
  const collection = untoken(collectionToken);
  const rest = untoken(restToken);
  if (collection === null || rest === null) return null;
  if (groupToken === '_') return { collection, key: rest };
  const group = untoken(groupToken);
  return group === null ? null : { collection, key: `${group}${GROUP_SEPARATOR}${rest}` };
}

export const batchKvKey = (batchId: string): string => `${BATCH_PREFIX}${batchId}`;
