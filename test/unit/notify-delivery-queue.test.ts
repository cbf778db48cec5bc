import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DeliveryQueue } from '../../adapters/notify/delivery-queue.ts';

/** A receiver the test answers by hand: each delivery waits until released. */
function heldReceiver() {
  const delivered: number[] = [];
  const held: { item: number; release: (error?: Error) => void }[] = [];
  const arrived: (() => void)[] = [];
  return {
    delivered,
    held,
    deliver: (item: number, signal: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        held.push({ item, release: (error) => (error ? reject(error) : (delivered.push(item), resolve())) });
        signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        arrived.splice(0).forEach((wake) => wake());
      }),
    async nextHeld() {
      while (held.length === 0) await new Promise<void>((resolve) => arrived.push(resolve));
      return held.shift() as { item: number; release: (error?: Error) => void };
    },
  };
}

describe('a delivery queue', () => {
  it('delivers one at a time, in order, without the caller waiting', async () => {
    const receiver = heldReceiver();
    const queue = new DeliveryQueue<number>({ capacity: 10, deliver: receiver.deliver, onFailed: () => assert.fail(), onDropped: () => assert.fail() });
    queue.push(1);
    queue.push(2);
    assert.equal(queue.waiting, 1, 'the first is under way, the second waits');
    (await receiver.nextHeld()).release();
    (await receiver.nextHeld()).release();
    await queue.idle();
    assert.deepEqual(receiver.delivered, [1, 2]);
  });

  it('drops the oldest waiting items when the receiver stays down, and says how many once', async () => {
    const receiver = heldReceiver();
    const failed: number[] = [];
    const dropped: string[] = [];
    const queue = new DeliveryQueue<number>({ capacity: 2, deliver: receiver.deliver, onFailed: (item) => failed.push(item), onDropped: (count, because) => dropped.push(`${count} ${because}`) });
    for (let item = 1; item <= 6; item++) queue.push(item);
    (await receiver.nextHeld()).release(new Error('down'));
    const fifth = await receiver.nextHeld();
    assert.deepEqual(failed, [1]);
    assert.deepEqual(dropped, ['3 full'], 'items 2, 3 and 4 made way for 5 and 6');
    fifth.release();
    (await receiver.nextHeld()).release();
    await queue.idle();
    assert.deepEqual(receiver.delivered, [5, 6]);
    assert.deepEqual(dropped, ['3 full']);
  });

  it('on stop, lets what is under way finish within the grace', async () => {
    const receiver = heldReceiver();
    const queue = new DeliveryQueue<number>({ capacity: 10, deliver: receiver.deliver, onFailed: () => assert.fail(), onDropped: () => assert.fail() });
    queue.push(1);
    const stopped = queue.stop(10_000);
    queue.push(2);
    (await receiver.nextHeld()).release();
    await stopped;
    assert.deepEqual(receiver.delivered, [1], 'nothing is taken once stopping');
  });

  it('on stop past the grace, aborts the delivery under way and reports the rest dropped', async () => {
    const receiver = heldReceiver();
    const failed: number[] = [];
    const dropped: string[] = [];
    const queue = new DeliveryQueue<number>({ capacity: 10, deliver: receiver.deliver, onFailed: (item) => failed.push(item), onDropped: (count, because) => dropped.push(`${count} ${because}`) });
    queue.push(1);
    queue.push(2);
    queue.push(3);
    await receiver.nextHeld();
    await queue.stop(20);
    assert.deepEqual(failed, [1]);
    assert.deepEqual(dropped, ['2 stopping']);
  });
});
