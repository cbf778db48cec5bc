import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { JsonFramer, type JsonFrame } from '../../adapters/socket/json-framer.ts';
import { TextFramer } from '../../adapters/socket/text-framer.ts';
import { decodeJsonRequest } from '../../src/protocol/json-request.ts';
import { jsonDialect } from '../../src/protocol/json-dialect.ts';
import { textDialect } from '../../src/protocol/text-dialect.ts';
import type { RequestReceived } from '../../src/protocol/messages.ts';
import { fuzzRuns, splitStream } from '../helpers/wire-arbitraries.ts';

const RUNS = fuzzRuns(300);
const base = { connectionId: 'c', requestId: 'r', receivedAt: 0 };

/** What the request flow does with a request, without a handler: parse it, and render an error or (for a valid one) nothing yet. */
function answer(request: RequestReceived): string {
  const codec = request.dialect === 'text' ? textDialect : jsonDialect;
  const outcome = codec.parse(request);
  return outcome.ok ? 'dispatched' : String(codec.renderError(request, outcome.error));
}

const jsonRequests = (frames: readonly JsonFrame[]): RequestReceived[] =>
  frames.map((frame) => {
    const decoded = 'text' in frame ? decodeJsonRequest(frame.text) : frame;
    return { ...base, dialect: 'json', body: 'body' in decoded ? decoded.body : null, ...('problem' in decoded ? { problem: decoded.problem } : {}) };
  });

describe('fuzzing the framers and codecs with random bytes at random read boundaries', () => {
  it('JSON: never throws, frames the same objects however the stream is cut, and every frame gets one answer', () => {
    fc.assert(
      fc.property(splitStream(), ({ bytes, reads }) => {
        const whole = new JsonFramer(512, 16);
        const split = new JsonFramer(512, 16);
        const once = [...whole.push(bytes), ...whole.end()];
        const cut = [...reads.flatMap((read) => split.push(read)), ...split.end()];
        // Stray bytes are reported once per read that brings them, so only their count depends on the cuts.
        const objects = (frames: JsonFrame[]) => frames.filter((frame) => !('problem' in frame && frame.problem === 'invalid-json'));
        assert.deepEqual(objects(cut), objects(once));
        for (const request of jsonRequests(cut)) assert.equal(typeof answer(request), 'string');
      }),
      { numRuns: RUNS },
    );
  });

  it('text: never throws, cuts lines the same way however the stream is cut, and every frame gets one answer', () => {
    fc.assert(
      fc.property(splitStream(), ({ bytes, reads }) => {
        const whole = new TextFramer(512, 64);
        const once = [...whole.push(bytes, true), ...whole.end()];
        const lines = new TextFramer(512, 64);
        const cutLines = [...reads.flatMap((read) => lines.push(read, true)), ...lines.end()];
        assert.deepEqual(cutLines, once);
        // With each read taken as the seed client's (bare words complete at a read's end): still one answer each.
        const bare = new TextFramer(512, 64);
        const frames = [...reads.flatMap((read) => bare.push(read, false)), ...bare.end()];
        for (const frame of frames) {
          assert.ok(!frame.text.includes('\n'));
          assert.equal(typeof answer({ ...base, dialect: 'text', text: frame.text, framing: frame.framing, ...(frame.problem ? { problem: frame.problem } : {}) }), 'string');
        }
      }),
      { numRuns: RUNS },
    );
  });
});
