import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { jsonDialect } from '../../src/protocol/json-dialect.ts';
import { pythonJsonDumps } from '../../src/protocol/python-json.ts';
import { pythonJsonDumpsInChunks, REPLY_CHUNK_CHARS } from '../../src/protocol/python-json-chunks.ts';
import { ReplyChunks, wholeReplyText } from '../../src/protocol/reply-chunks.ts';

/** Names that take every escape Python's json.dumps writes: quotes, backslashes, control characters, non-ASCII, astral and lone surrogates, DEL. */
const AWKWARD_NAMES = ['ann', '', 'say "hi"', 'back\\slash', 'tab\there', 'new\nline', '\u0000\u0001\u001f', 'zoë', 'ünïcødé', '日本語', '😀 emoji', '\ud800 lone', '\u007f del', '/slash', '\u2028\u2029'];

const seedReply = (users: readonly unknown[]) => `${pythonJsonDumps({ message: 'return_check_users', users })}\n`;

const checkUsersReply = (users: { username: string }[]) =>
  jsonDialect.renderResult(
    { connectionId: 'c', requestId: 'r', dialect: 'json', receivedAt: 0, body: { message: 'check_users' } },
    { kind: 'book', type: 'users.list', result: { users } },
  );

describe('check_users rendered in chunks', () => {
  it('is byte-identical to the whole pythonJsonDumps reply for awkward names, at any chunk size', () => {
    const users = AWKWARD_NAMES.map((username) => ({ username }));
    for (const chunkChars of [1, 7, 64, REPLY_CHUNK_CHARS]) {
      const chunks = [...pythonJsonDumpsInChunks({ message: 'return_check_users' }, 'users', users, '\n', chunkChars)];
      assert.equal(chunks.join(''), seedReply(users), `chunks of ${chunkChars}`);
    }
  });

  it('is byte-identical for items that are not a lone string username', () => {
    const items = [{ username: 'ann', admin: true }, { username: 5 }, { name: 'zoë' }, 'bare', null, [1, 'é'], { username: 'bo' }];
    const chunks = [...pythonJsonDumpsInChunks({ message: 'return_check_users' }, 'users', items, '\n', 8)];
    assert.equal(chunks.join(''), seedReply(items));
  });

  it('is byte-identical for an empty list', () => {
    assert.equal(wholeReplyText(checkUsersReply([])), '{"message": "return_check_users", "users": []}\n');
    assert.equal(wholeReplyText(checkUsersReply([])), seedReply([]));
  });

  it('is the seed reply of the JSON dialect, as chunks of about 64 KiB for 100,000 names', () => {
    const users = Array.from({ length: 100_000 }, (_, index) => ({ username: `${AWKWARD_NAMES[index % AWKWARD_NAMES.length]}-${index}` }));
    const reply = checkUsersReply(users);
    assert.ok(reply instanceof ReplyChunks);
    const chunks = [...reply];
    assert.equal(chunks.join(''), seedReply(users));
    // Each chunk but the last passes the size by at most one name, so none is much more than 64 KiB.
    for (const chunk of chunks.slice(0, -1)) assert.ok(chunk.length >= REPLY_CHUNK_CHARS && chunk.length < REPLY_CHUNK_CHARS + 1024, `${chunk.length}`);
    assert.ok(chunks.length > 20);
  });

  it('renders lazily, and afresh on each pass', () => {
    let read = 0;
    const users = new Proxy(
      Array.from({ length: 50_000 }, (_, index) => ({ username: `user${index}` })),
      {
        get(target, key, receiver) {
          if (typeof key === 'string' && /^\d+$/.test(key)) read = Math.max(read, Number(key) + 1);
          return Reflect.get(target, key, receiver) as unknown;
        },
      },
    );
    const reply = checkUsersReply(users) as ReplyChunks;
    assert.equal(read, 0, 'nothing is rendered before the first chunk is asked for');
    const first = reply[Symbol.iterator]().next();
    assert.equal(first.done, false);
    assert.ok(read < 50_000 / 10, `${read} names rendered for the first chunk`);
    assert.equal(wholeReplyText(reply), wholeReplyText(reply));
  });
});
