import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BOOK_MESSAGES } from '../../src/book/book-messages.ts';
import type { Command } from '../../src/protocol/commands.ts';
import { requestTypeOf } from '../../src/protocol/request-type.ts';

describe('request types, the bounded words that label request metrics', () => {
  it('names a command by its kind', () => {
    assert.equal(requestTypeOf({ kind: 'backup.run', job: null }), 'backup.run');
    assert.equal(requestTypeOf({ kind: 'job.remove', job: 'notes', forget: true }), 'job.remove');
    assert.equal(requestTypeOf({ kind: 'connection.exit' }), 'connection.exit');
  });

  it('names a password-book request by its message type', () => {
    for (const type of Object.keys(BOOK_MESSAGES)) {
      assert.equal(requestTypeOf({ kind: 'book', request: { type } } as unknown as Command), type);
    }
  });

  it('calls anything else invalid, never repeating what was sent', () => {
    const sent = ['hunter2', '__proto__', 'constructor', 'toString', 'book'];
    for (const kind of sent) assert.equal(requestTypeOf({ kind } as unknown as Command), 'invalid', kind);
    for (const type of sent) assert.equal(requestTypeOf({ kind: 'book', request: { type } } as unknown as Command), 'invalid', type);
    assert.equal(requestTypeOf({ kind: 'book', request: null } as unknown as Command), 'invalid');
    assert.equal(requestTypeOf(null as unknown as Command), 'invalid');
    assert.equal(requestTypeOf(42 as unknown as Command), 'invalid');
  });
});
