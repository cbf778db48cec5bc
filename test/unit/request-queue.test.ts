import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RequestQueue } from '../../adapters/socket/request-queue.ts';

describe('a connection request queue', () => {
  it('lets at most the bound go on the bus unanswered, in order, and holds the rest', () => {
    const queue = new RequestQueue<number>(3);
    queue.add([1, 2, 3, 4, 5]);
    assert.deepEqual([queue.next(), queue.next(), queue.next(), queue.next()], [1, 2, 3, undefined]);
    assert.equal(queue.unanswered, 3);
    assert.equal(queue.waiting, 2);
    queue.answered();
    assert.equal(queue.next(), 4);
    assert.equal(queue.next(), undefined);
    queue.answered();
    queue.answered();
    assert.equal(queue.next(), 5);
    queue.answered();
    queue.answered();
    assert.equal(queue.isEmpty, true);
  });

  it('takes tens of thousands of requests from its front without copying them each time', () => {
    const queue = new RequestQueue<number>(1);
    queue.add(Array.from({ length: 50_000 }, (_, i) => i));
    let taken = 0;
    for (let next = queue.next(); next !== undefined; next = queue.next()) {
      assert.equal(next, taken++);
      queue.answered();
    }
    assert.equal(taken, 50_000);
    assert.equal(queue.isEmpty, true);
  });

  it('drops what waits (the host is stopping) and keeps counting what is unanswered', () => {
    const queue = new RequestQueue<string>(1);
    queue.add(['a', 'b']);
    queue.next();
    queue.dropWaiting();
    assert.equal(queue.waiting, 0);
    assert.equal(queue.unanswered, 1);
    assert.equal(queue.isEmpty, false);
  });
});
