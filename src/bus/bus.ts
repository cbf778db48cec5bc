import Emittery from 'emittery';
import { filter, type Observable } from 'rxjs';
import { BusStream } from './bus-stream.ts';
import type { BusEvent, BusEventName, BusEvents } from './events.ts';

/**
 * The in-process message bus. RxJS observables are the views that adapters
 * and services subscribe to; emittery carries the listeners that may be slow.
 * Nothing else talks to anything: the socket adapter and the store adapter
 * meet only here.
 *
 * Two kinds of delivery, both in emit order:
 *
 * - Streams (`on$`, `where$`, `events$`) are synchronous: `emit` calls every
 *   stream subscriber before it returns, as an RxJS subject does. This is the
 *   hot path (a request, its reply, a store command), where a promise per
 *   event per subscriber would cost more than the work. A stream subscriber
 *   must therefore be quick and must not wait: what takes time it starts and
 *   lets run (a promise, a queue), as the store and the request flow do.
 * - Listeners (`on`, `once`) are emittery's: called on a later microtask, so a
 *   slow or async listener never stalls the sender; `emit` resolves when they
 *   have all run.
 *
 * A subscriber or listener that throws does not stop the others nor reject
 * `emit`: the error goes to `onListenerError`, because a bus that crashes the
 * service on one bad subscriber would make every subscriber a liability.
 * That holds for a stream's subscribers too, and for what they `pipe` (see
 * BusStream), though RxJS would rethrow their exceptions from a timer: the
 * bus's streams guard their subscribers themselves rather than through
 * RxJS's `config.onUnhandledError`, one setting for the whole process.
 *
 * @example
 * const bus = new Bus();
 * const sub = bus.on$('backup.completed').subscribe((event) => console.log(event.version.path));
 * await bus.emit('backup.completed', completed);
 * sub.unsubscribe();
 */
export interface BusOptions {
  /** Called when a listener throws or rejects; defaults to printing it on stderr. */
  readonly onListenerError?: (error: unknown, eventName: BusEventName) => void;
}

type StreamListener = (payload: never) => void;

const DELIVERED: Promise<void> = Promise.resolve();

export class Bus {
  readonly #emitter = new Emittery<BusEvents>();
  readonly #onListenerError: (error: unknown, eventName: BusEventName) => void;
  readonly #taps = new Set<(event: BusEvent) => void>();
  /**
   * Stream subscribers by event name. Each list is replaced, never changed in
   * place, so an emit delivers to the subscribers there were when it began,
   * whoever subscribes or leaves meanwhile (as emittery does for listeners).
   */
  readonly #streams = new Map<BusEventName, readonly StreamListener[]>();
  #anyStreams: readonly ((event: BusEvent) => void)[] = [];
  /** Emittery listeners per name (and for any name): with none, an emit makes no promise. */
  readonly #listeners = new Map<BusEventName, number>();
  /** The event whose stream subscribers are being called: the name a subscriber's exception is told with. */
  #delivering: BusEventName | null = null;
  #delivered: BusEventName | null = null;

  constructor(options: BusOptions = {}) {
    this.#onListenerError =
      options.onListenerError ?? ((error, eventName) => console.error(`safekeep: a '${eventName}' listener failed:`, error));
  }

  /** Every event, in emit order, with its name, synchronously like every stream. */
  readonly events$: Observable<BusEvent> = new BusStream<BusEvent>(
    (subscriber) => {
      const listener = (event: BusEvent) => subscriber.next(event);
      this.#anyStreams = [...this.#anyStreams, listener];
      return () => {
        this.#anyStreams = this.#anyStreams.filter((other) => other !== listener);
      };
    },
    (error) => this.#streamFailed(error, null),
  );

  /**
   * Publishes an event: stream subscribers have seen it when this returns;
   * the promise resolves when every emittery listener has run. Never rejects.
   */
  emit<K extends BusEventName>(name: K, payload: BusEvents[K]): Promise<void> {
    // A subscriber may emit in turn: the outer event's name is back once the inner one is delivered.
    const outer = this.#delivering;
    this.#delivering = name;
    if (this.#taps.size > 0 || this.#anyStreams.length > 0) {
      const event = { name, payload } as BusEvent;
      for (const tap of this.#taps) tap(event);
      for (const listener of this.#anyStreams) this.#deliver(listener as StreamListener, event, name);
    }
    const streams = this.#streams.get(name);
    if (streams) for (const listener of streams) this.#deliver(listener, payload, name);
    this.#delivering = outer;
    this.#delivered = name;
    if (!this.#listeners.get(name)) return DELIVERED;
    return this.#emitter.emit(name, payload).catch((error: unknown) => this.#onListenerError(error, name));
  }

  /**
   * Sees every event synchronously, as it is emitted and before any
   * subscriber: the recorder uses it so that the log is in emit order and an
   * input's time is set before anything reacts to it. A tap must not throw or emit.
   */
  tap(observer: (event: BusEvent) => void): () => void {
    this.#taps.add(observer);
    return () => this.#taps.delete(observer);
  }

  /** The stream of one event's payloads, delivered synchronously (see the class comment). */
  on$<K extends BusEventName>(name: K): Observable<BusEvents[K]> {
    return new BusStream<BusEvents[K]>(
      (subscriber) => {
        const listener = (payload: BusEvents[K]) => subscriber.next(payload);
        this.#streams.set(name, [...(this.#streams.get(name) ?? []), listener as StreamListener]);
        return () => {
          const left = (this.#streams.get(name) ?? []).filter((other) => other !== listener);
          if (left.length > 0) this.#streams.set(name, left);
          else this.#streams.delete(name);
        };
      },
      (error) => this.#streamFailed(error, name),
    );
  }

  /** The stream of one event's payloads that satisfy `predicate`. */
  where$<K extends BusEventName>(name: K, predicate: (payload: BusEvents[K]) => boolean): Observable<BusEvents[K]> {
    return this.on$(name).pipe(filter(predicate));
  }

  /** Listens to one event by callback, asynchronously (see the class comment); returns the function that stops listening. */
  on<K extends BusEventName>(name: K, listener: (payload: BusEvents[K]) => void | Promise<void>): () => void {
    this.#listeners.set(name, (this.#listeners.get(name) ?? 0) + 1);
    const off = this.#emitter.on(name, listener);
    let listening = true;
    return () => {
      if (!listening) return;
      listening = false;
      off();
      this.#listeners.set(name, (this.#listeners.get(name) ?? 1) - 1);
    };
  }

  /** Resolves with the next payload of `name` that satisfies `predicate`. */
  once<K extends BusEventName>(name: K, predicate: (payload: BusEvents[K]) => boolean = () => true): Promise<BusEvents[K]> {
    return new Promise((resolve) => {
      const unsubscribe = this.on(name, (payload) => {
        if (!predicate(payload)) return;
        unsubscribe();
        resolve(payload);
      });
    });
  }

  /** How many subscribers and listeners are attached to `name`, or to anything (for tests and shutdown checks). */
  listenerCount(name?: BusEventName): number {
    const streams = name === undefined ? [...this.#streams.values()].reduce((sum, list) => sum + list.length, 0) + this.#anyStreams.length : (this.#streams.get(name)?.length ?? 0);
    return streams + this.#emitter.listenerCount(name);
  }

  /** Detaches every listener and stream subscriber. */
  clear(): void {
    this.#emitter.clearListeners();
    this.#listeners.clear();
    this.#streams.clear();
    this.#anyStreams = [];
  }

  /**
   * A stream subscriber threw (or its stream errored unhandled). During an
   * emit that is the event being delivered; later (a piped `delay`), the
   * stream's own event, or for `events$` the event delivered last.
   */
  #streamFailed(error: unknown, origin: BusEventName | null): void {
    const name = this.#delivering ?? origin ?? this.#delivered;
    if (name !== null) this.#onListenerError(error, name);
    else console.error('safekeep: a bus stream subscriber failed:', error);
  }

  #deliver(listener: StreamListener, value: unknown, name: BusEventName): void {
    try {
      (listener as (value: unknown) => void)(value);
    } catch (error) {
      this.#onListenerError(error, name);
    }
  }
}
