import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Deadlines } from '../../src/clock/deadlines.ts';
import { VirtualClock } from '../../src/clock/virtual-clock.ts';

describe('deadlines on one timer', () => {
  it('expires each at its time, whatever order they were added in, with one timer at a time', () => {
    const clock = new VirtualClock(0);
    const deadlines = new Deadlines<string>(clock);
    const expired: string[] = [];
    deadlines.add('late', 3_000, () => expired.push(`late@${clock.now()}`));
    deadlines.add('early', 1_000, () => expired.push(`early@${clock.now()}`));
    deadlines.add('middle', 2_000, () => expired.push(`middle@${clock.now()}`));
    assert.equal(clock.pendingTimers, 1);
    clock.advance(3_000);
    assert.deepEqual(expired, ['early@1000', 'middle@2000', 'late@3000']);
    assert.equal(clock.pendingTimers, 0, 'nothing due, no timer');
  });

  it('never expires one deleted in time, and leaves no timer once nothing is due', () => {
    const clock = new VirtualClock(0);
    const deadlines = new Deadlines<string>(clock);
    const expired: string[] = [];
    deadlines.add('answered', 1_000, () => expired.push('answered'));
    deadlines.add('slow', 5_000, () => expired.push('slow'));
    deadlines.delete('answered');
    clock.advance(4_999);
    assert.deepEqual(expired, []);
    clock.advance(1);
    assert.deepEqual(expired, ['slow']);
    assert.equal(deadlines.size, 0);
    assert.equal(clock.pendingTimers, 0, 'the timer fired and, with nothing due, was not set again');
  });

  it('takes a key added again at its new deadline, and clears everything at once', () => {
    const clock = new VirtualClock(0);
    const deadlines = new Deadlines<string>(clock);
    const expired: number[] = [];
    deadlines.add('line', 1_000, () => expired.push(clock.now()));
    deadlines.add('line', 2_000, () => expired.push(clock.now()));
    clock.advance(2_000);
    assert.deepEqual(expired, [2_000]);
    deadlines.add('other', 3_000, () => expired.push(-1));
    deadlines.clear();
    clock.advance(10_000);
    assert.deepEqual(expired, [2_000]);
    assert.equal(clock.pendingTimers, 0);
  });
});
