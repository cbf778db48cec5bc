import Emittery from 'emittery';
import { Observable, filter, share } from 'rxjs';
import type { BusEvent, BusEventName, BusEvents } from './events.ts';

/**
 * The in-process message bus. Emittery delivers the events; RxJS observables
 * are the views that adapters and services subscribe to. Nothing else talks to
 * anything: the socket adapter and the store adapter meet only here.
 *
 * Delivery is asynchronous (emittery calls listeners on a later microtask) and
 * in emit order. A listener that throws does not stop the others nor reject
 * `emit`: the error goes to `onListenerError`, because a bus that crashes the
 * service on one bad subscriber would make every subscriber a liability.
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

export class Bus {
  readonly #emitter = new Emittery<BusEvents>();
  readonly #onListenerError: (error: unknown, eventName: BusEventName) => void;
  readonly #taps = new Set<(event: BusEvent) => void>();

  constructor(options: BusOptions = {}) {
    this.#onListenerError =
      options.onListenerError ?? ((error, eventName) => console.error(`safekeep: a '${eventName}' listener failed:`, error));
  }

  /**
   * Every event, in emit order, with its name. Shared: however many
   * subscribers, one emittery listener.
   */
  readonly events$: Observable<BusEvent> = new Observable<BusEvent>((subscriber) =>
    this.#emitter.onAny((name, payload) => {
      subscriber.next({ name, payload } as BusEvent);
    }),
  ).pipe(share());

  /** Publishes an event; resolves when every listener has run. Never rejects. */
  emit<K extends BusEventName>(name: K, payload: BusEvents[K]): Promise<void> {
    for (const tap of this.#taps) tap({ name, payload } as BusEvent);
    return this.#emitter.emit(name, payload).catch((error: unknown) => this.#onListenerError(error, name));
  }

  /**
   * Sees every event synchronously, as it is emitted and before any listener:
   * the recorder uses it so that the log is in emit order and an input's time
   * is set before anything reacts to it. A tap must not throw or emit.
   */
  tap(observer: (event: BusEvent) => void): () => void {
    this.#taps.add(observer);
    return () => this.#taps.delete(observer);
  }

  /** The stream of one event's payloads. */
  on$<K extends BusEventName>(name: K): Observable<BusEvents[K]> {
    return new Observable<BusEvents[K]>((subscriber) =>
      this.#emitter.on(name, (payload) => {
        subscriber.next(payload);
      }),
    );
  }

  /** The stream of one event's payloads that satisfy `predicate`. */
  where$<K extends BusEventName>(name: K, predicate: (payload: BusEvents[K]) => boolean): Observable<BusEvents[K]> {
    return this.on$(name).pipe(filter(predicate));
  }

  /** Listens to one event by callback; returns the function that stops listening. */
  on<K extends BusEventName>(name: K, listener: (payload: BusEvents[K]) => void | Promise<void>): () => void {
    return this.#emitter.on(name, listener);
  }

  /** Resolves with the next payload of `name` that satisfies `predicate`. */
  once<K extends BusEventName>(name: K, predicate: (payload: BusEvents[K]) => boolean = () => true): Promise<BusEvents[K]> {
    return new Promise((resolve) => {
      const unsubscribe = this.#emitter.on(name, (payload) => {
        if (!predicate(payload)) return;
        unsubscribe();
        resolve(payload);
      });
    });
  }

  /** How many listeners are attached to `name` (for tests and shutdown checks). */
  listenerCount(name?: BusEventName): number {
    return this.#emitter.listenerCount(name);
  }

  /** Detaches every listener. */
  clear(): void {
    this.#emitter.clearListeners();
  }
}
