import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { map } from 'rxjs';
import { Bus } from '../../src/bus/bus.ts';
import type { BusEvent } from '../../src/bus/events.ts';

const paused = { jobId: 'notes.json' };

describe('the bus', () => {
  it('delivers each event to the subscribers of its name, in emit order', async () => {
    const bus = new Bus();
    const seen: string[] = [];
    const paused$ = bus.on$('backup.paused').subscribe((event) => seen.push(`paused ${event.jobId}`));
    const resumed$ = bus.on$('backup.resumed').subscribe((event) => seen.push(`resumed ${event.jobId}`));
    void bus.emit('backup.paused', { jobId: 'a' });
    void bus.emit('backup.resumed', { jobId: 'a' });
    await bus.emit('backup.paused', { jobId: 'b' });
    assert.deepEqual(seen, ['paused a', 'resumed a', 'paused b']);
    paused$.unsubscribe();
    resumed$.unsubscribe();
    assert.equal(bus.listenerCount(), 0);
  });

  it('gives every event with its name on events$, through one shared listener', async () => {
    const bus = new Bus();
    const first: BusEvent[] = [];
    const second: BusEvent[] = [];
    const a = bus.events$.subscribe((event) => first.push(event));
    const b = bus.events$.subscribe((event) => second.push(event));
    await bus.emit('backup.paused', paused);
    assert.deepEqual(first, [{ name: 'backup.paused', payload: paused }]);
    assert.deepEqual(second, first);
    a.unsubscribe();
    b.unsubscribe();
  });

  it('keeps delivering when one listener throws, and reports the error instead of rejecting', async () => {
    const errors: string[] = [];
    const bus = new Bus({ onListenerError: (error, name) => errors.push(`${name}: ${(error as Error).message}`) });
    const delivered: string[] = [];
    bus.on('backup.paused', () => {
      throw new Error('bad listener');
    });
    bus.on$('backup.paused').subscribe((event) => delivered.push(event.jobId));
    await bus.emit('backup.paused', paused);
    assert.deepEqual(delivered, ['notes.json']);
    assert.deepEqual(errors, ['backup.paused: bad listener']);
  });

  it('keeps the process and the other subscribers going when a stream subscriber throws (on$, where$, events$, piped)', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const errors: string[] = [];
      const bus = new Bus({ onListenerError: (error, name) => errors.push(`${name}: ${(error as Error).message}`) });
      const delivered: string[] = [];
      const subscriptions = [
        bus.on$('backup.paused').subscribe(() => {
          throw new Error('on$');
        }),
        bus.where$('backup.paused', (event) => event.jobId !== 'skip').subscribe(() => {
          throw new Error('where$');
        }),
        bus.events$.subscribe({
          next: () => {
            throw new Error('events$');
          },
        }),
        bus.on$('backup.paused')
          .pipe(map((event) => event.jobId))
          .subscribe(() => {
            throw new Error('piped');
          }),
        bus.on$('backup.paused').subscribe((event) => delivered.push(event.jobId)),
        bus.events$.subscribe((event) => delivered.push(event.name)),
      ];
      await bus.emit('backup.paused', { jobId: 'a' });
      // A subscriber that threw is still subscribed: it sees the next event (and throws again).
      await bus.emit('backup.paused', { jobId: 'b' });
      // RxJS would have rethrown from a 0 ms timer set during the emits: one set now fires after it.
      await new Promise((resolve) => setTimeout(resolve, 0));
      assert.deepEqual(uncaught, []);
      assert.deepEqual(delivered, ['backup.paused', 'a', 'backup.paused', 'b']);
      const once = ['backup.paused: events$', 'backup.paused: on$', 'backup.paused: where$', 'backup.paused: piped'];
      assert.deepEqual(errors, [...once, ...once]);
      for (const subscription of subscriptions) subscription.unsubscribe();
      assert.equal(bus.listenerCount(), 0);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('tells an error a piped operator throws, which ends that subscriber only, with the event it came from', async () => {
    const errors: string[] = [];
    const bus = new Bus({ onListenerError: (error, name) => errors.push(`${name}: ${(error as Error).message}`) });
    const seen: string[] = [];
    bus.on$('backup.resumed')
      .pipe(
        map((event) => {
          if (event.jobId === 'bad') throw new Error('operator');
          return event.jobId;
        }),
      )
      .subscribe((jobId) => seen.push(`piped ${jobId}`));
    bus.on$('backup.resumed').subscribe((event) => seen.push(event.jobId));
    await bus.emit('backup.resumed', { jobId: 'bad' });
    await bus.emit('backup.resumed', { jobId: 'good' });
    // The piped subscriber's stream ended with the operator's error: it sees no more.
    assert.deepEqual(seen, ['bad', 'good']);
    assert.deepEqual(errors, ['backup.resumed: operator']);
    assert.equal(bus.listenerCount('backup.resumed'), 1);
  });

  it('still calls the error callback given in the (deprecated) subscribe(next, error) form', async () => {
    const errors: string[] = [];
    const bus = new Bus({ onListenerError: (error) => errors.push(`bus: ${(error as Error).message}`) });
    bus.on$('backup.paused')
      .pipe(
        map(() => {
          throw new Error('operator');
        }),
      )
      .subscribe(() => {}, (error: unknown) => errors.push(`own: ${(error as Error).message}`));
    await bus.emit('backup.paused', paused);
    assert.deepEqual(errors, ['own: operator']);
  });

  it('resolves once with the next matching event', async () => {
    const bus = new Bus();
    const next = bus.once('backup.paused', (event) => event.jobId === 'b');
    await bus.emit('backup.paused', { jobId: 'a' });
    await bus.emit('backup.paused', { jobId: 'b' });
    assert.deepEqual(await next, { jobId: 'b' });
    assert.equal(bus.listenerCount('backup.paused'), 0);
  });

  it('rejects wrong names and payloads at compile time', () => {
    const bus = new Bus();
    const typeOnly = () => {
      // @ts-expect-error: no such event
      void bus.emit('backup.finished', paused);
      // @ts-expect-error: the payload of backup.paused has a jobId, not an id
      void bus.emit('backup.paused', { id: 'x' });
      // @ts-expect-error: subscribers get the payload type of their event
      bus.on$('backup.paused').subscribe((event) => event.version);
    };
    assert.equal(typeof typeOnly, 'function');
  });
});
