import { pythonJsonDumps, pythonJsonString } from './python-json.ts';
import { ReplyChunks } from './reply-chunks.ts';

/** About how much text one chunk holds: the size of one read on the client's side, and of Node's socket reads. */
export const REPLY_CHUNK_CHARS = 64 * 1024;

/**
 * `pythonJsonDumps({ ...head, [listKey]: items }) + tail`, byte for byte,
 * rendered about `chunkChars` at a time from `items` as it is read, so a
 * list of 100,000 names is never one multi-megabyte string.
 *
 * @example
 * [...pythonJsonDumpsInChunks({ message: 'return_check_users' }, 'users', [{ username: 'ann' }], '\n')].join('');
 * // '{"message": "return_check_users", "users": [{"username": "ann"}]}\n'
 */
export function pythonJsonDumpsInChunks(
  head: Readonly<Record<string, unknown>>,
  listKey: string,
  items: readonly unknown[],
  tail = '',
  chunkChars = REPLY_CHUNK_CHARS,
): ReplyChunks {
  return new ReplyChunks(function* () {
    // The object with an empty list ends in `[]}`: all before its `]` is the opening, written by the very code that writes whole replies.
    const empty = pythonJsonDumps({ ...head, [listKey]: [] });
    let chunk = empty.slice(0, -2);
    for (let index = 0; index < items.length; index++) {
      chunk += index === 0 ? itemText(items[index]) : `, ${itemText(items[index])}`;
      if (chunk.length >= chunkChars) {
        yield chunk;
        chunk = '';
      }
    }
    yield `${chunk}]}${tail}`;
  });
}

/**
 * One item of the list. A `{ username }` (every item of `check_users`) is
 * written directly, the same bytes several times faster than the general
 * walk over its fields; anything else goes the general way.
 */
function itemText(item: unknown): string {
  if (typeof item === 'object' && item !== null && !Array.isArray(item)) {
    const username = (item as { username?: unknown }).username;
    if (typeof username === 'string' && Object.keys(item).length === 1) return `{"username": ${pythonJsonString(username)}}`;
  }
  return pythonJsonDumps(item);
}
