import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { textDialect } from '../../src/protocol/text-dialect.ts';
import type { TextRequestReceived } from '../../src/protocol/messages.ts';

const request = (text: string, framing: TextRequestReceived['framing'] = 'bare'): TextRequestReceived => ({
  connectionId: 'c',
  requestId: 'r',
  dialect: 'text',
  text,
  framing,
  receivedAt: 0,
});

describe('text dialect', () => {
  for (const word of ['revert', 'Revert', 'REVERT', '  revert  ', 'revert\t', '\trevert\r']) {
    it(`reads ${JSON.stringify(word)} as revert`, () => {
      assert.deepEqual(textDialect.parse(request(word)), { ok: true, command: { kind: 'backup.revert', job: null } });
    });
  }

  it('reads backup and exit', () => {
    assert.deepEqual(textDialect.parse(request('Backup')), { ok: true, command: { kind: 'backup.run', job: null } });
    assert.deepEqual(textDialect.parse(request('exit')), { ok: true, command: { kind: 'connection.exit' } });
  });

  it('reads a job name after revert or backup', () => {
    assert.deepEqual(textDialect.parse(request('revert notes.json')), { ok: true, command: { kind: 'backup.revert', job: 'notes.json' } });
    assert.deepEqual(textDialect.parse(request('backup  todo.txt ')), { ok: true, command: { kind: 'backup.run', job: 'todo.txt' } });
  });

  for (const text of ['hello', 'reverted', 'revert a b', 'exit now', '', 'backup!']) {
    it(`rejects ${JSON.stringify(text)} with the original invalid reply, echoing it as sent`, () => {
      const parsed = textDialect.parse(request(text));
      assert.equal(parsed.ok, false);
      if (!parsed.ok) assert.equal(parsed.error.message, `Invalid request command '${text}' sent.`);
    });
  }

  it('echoes at most 1024 characters of a long bad request', () => {
    const parsed = textDialect.parse(request('x'.repeat(5000)));
    assert.ok(!parsed.ok && parsed.error.message.length < 1100);
  });

  it('mirrors the framing of the request in the reply', () => {
    const result = { kind: 'backup.revert' as const, version: null };
    assert.equal(textDialect.renderResult(request('revert', 'bare'), result), 'No backup found.');
    assert.equal(textDialect.renderResult(request('revert', 'line'), result), 'No backup found.\n');
  });
});
