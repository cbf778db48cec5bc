import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { textDialect } from '../../src/protocol/text-dialect.ts';
import { jsonDialect } from '../../src/protocol/json-dialect.ts';
import { decodeJsonRequest } from '../../src/protocol/json-request.ts';
import type { JsonRequestReceived, TextRequestReceived } from '../../src/protocol/messages.ts';
import type { CommandResult } from '../../src/protocol/commands.ts';
import type { VersionCheck } from '../../src/backup/version-check.ts';

const text = (body: string, framing: TextRequestReceived['framing'] = 'bare'): TextRequestReceived => ({
  connectionId: 'c',
  requestId: 'r',
  dialect: 'text',
  text: body,
  framing,
  receivedAt: 0,
});

function json(body: string): JsonRequestReceived {
  const decoded = decodeJsonRequest(body);
  return { connectionId: 'c', requestId: 'r', dialect: 'json', receivedAt: 0, body: 'body' in decoded ? decoded.body : null, ...('problem' in decoded ? { problem: decoded.problem } : {}) };
}

const damagedCheck: VersionCheck = {
  versionId: 'notes.json@2',
  jobId: 'notes.json',
  path: '/b/notes.json/notes.2026-11-24T09-00-00-000Z.000002.json',
  expectedSha256: 'a'.repeat(64),
  actualSha256: 'b'.repeat(64),
  damaged: true,
  reason: 'content-mismatch',
};
const verified = (checked: number, damaged: number): CommandResult => ({
  kind: 'backup.verify',
  report: { checked, damaged, versions: damaged > 0 ? [damagedCheck] : [] },
});

describe('verify in the text dialect', () => {
  for (const word of ['verify', 'VERIFY', '  Verify\t']) {
    it(`reads ${JSON.stringify(word)} as verify`, () => {
      assert.deepEqual(textDialect.parse(text(word)), { ok: true, command: { kind: 'backup.verify' } });
    });
  }

  it('refuses verify with an argument, as the seed refuses any unknown request', () => {
    const outcome = textDialect.parse(text('verify notes.json'));
    assert.equal(outcome.ok, false);
    assert.equal(textDialect.renderError(text('verify notes.json'), (outcome as { error: { code: string; message: string } }).error), "Invalid request command 'verify notes.json' sent.");
  });

  it('replies exactly `Verified <n> versions: <d> damaged.`, singular for one, framed as the request was', () => {
    assert.equal(textDialect.renderResult(text('verify'), verified(3, 1)), 'Verified 3 versions: 1 damaged.');
    assert.equal(textDialect.renderResult(text('verify', 'line'), verified(1, 0)), 'Verified 1 version: 0 damaged.\n');
    assert.equal(textDialect.renderResult(text('verify'), verified(0, 0)), 'Verified 0 versions: 0 damaged.');
  });
});

describe('backup.verify in the JSON dialect', () => {
  it('parses the typed message (with an id) into the verify command', () => {
    assert.deepEqual(jsonDialect.parse(json('{"type": "backup.verify", "id": 7}')), { ok: true, command: { kind: 'backup.verify' } });
    assert.deepEqual(jsonDialect.parse(json('{"type":"backup.verify"}')), { ok: true, command: { kind: 'backup.verify' } });
  });

  it('renders per-version results with the id echoed', () => {
    const reply = JSON.parse(jsonDialect.renderResult(json('{"type": "backup.verify", "id": "v1"}'), verified(2, 1)) as string);
    assert.deepEqual(reply, { id: 'v1', type: 'backup.verify', ok: true, result: { checked: 2, damaged: 1, versions: [damagedCheck] } });
  });

  for (const [label, body, code] of [
    ['an unknown field', '{"type": "backup.verify", "job": "x"}', 'INVALID_FIELD'],
    ['a bad id', '{"type": "backup.verify", "id": {"a": 1}}', 'INVALID_FIELD'],
    ['a misspelt type', '{"type": "backup.verfy"}', 'UNKNOWN_TYPE'],
  ] as const) {
    it(`refuses ${label} with ${code}, naming the type`, () => {
      const request = json(body);
      const outcome = jsonDialect.parse(request);
      assert.equal(outcome.ok, false);
      const reply = JSON.parse(jsonDialect.renderError(request, (outcome as { error: { code: string; message: string } }).error));
      assert.equal(reply.ok, false);
      assert.equal(reply.error.code, code);
      if (code !== 'UNKNOWN_TYPE') assert.equal(reply.type, 'backup.verify');
    });
  }

  it('keeps a seed-style message that happens to say backup.verify in the seed\'s terms', () => {
    const request = json('{"message": "backup.verify"}');
    const outcome = jsonDialect.parse(request);
    assert.equal(outcome.ok, false);
    assert.equal(jsonDialect.renderError(request, (outcome as { error: { code: string; message: string } }).error), '{"message": "Invalid message!"}\n');
  });
});
