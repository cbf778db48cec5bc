import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RecordedStep } from '../../src/replay/recording.ts';
import { isSameStep } from '../../src/replay/same-step.ts';

const payload = { connectionId: 'conn_1', requestId: 'req_1', delivered: true };
const recorded = { seq: 3, time: 10, correlation: 'req_1', kind: 'event', name: 'reply.sent', payload } as RecordedStep;

describe('a step seen again as it was read', () => {
  it('is the same step when every field is the same value in the same order, its payload the very object read', () => {
    assert.equal(isSameStep({ seq: 3, time: 10, correlation: 'req_1', kind: 'event', name: 'reply.sent', payload } as RecordedStep, recorded), true);
  });

  it('is compared by its line otherwise: an equal but other payload, another order, a field more or less', () => {
    assert.equal(isSameStep({ ...recorded, payload: { ...payload } } as RecordedStep, recorded), false);
    assert.equal(isSameStep({ time: 10, seq: 3, correlation: 'req_1', kind: 'event', name: 'reply.sent', payload } as RecordedStep, recorded), false);
    assert.equal(isSameStep({ ...recorded, withPrevious: true } as RecordedStep, recorded), false);
    assert.equal(isSameStep({ ...recorded, time: 11 } as RecordedStep, recorded), false);
  });
});
