import { Observable, Subscriber, type Observer, type Operator, type Subscription, type TeardownLogic } from 'rxjs';

/** Where a subscriber's exception goes instead of RxJS's reportUnhandledError. */
export type StreamErrorSink = (error: unknown) => void;

/**
 * An Observable of the bus whose subscribers cannot crash the process: an
 * exception thrown by the function (or observer) given to `subscribe`, or an
 * error the stream ends with that nobody handles, goes to `sink` (the bus's
 * `onListenerError`). RxJS would rethrow either from a timer
 * (reportUnhandledError), an uncaught exception that ends the service; its
 * `config.onUnhandledError` would catch it but is one setting for the whole
 * process, shared by every host and embedder. `pipe` keeps the guard (an
 * operator's stream is a BusStream too), so `bus.on$(x).pipe(map(f))` is
 * guarded as `bus.on$(x)` is; a stream made by combining (`merge`,
 * `combineLatest`) is RxJS's own and is not.
 *
 * The subscriber whose function threw stays subscribed (it sees the next
 * event); one whose stream errored has ended, as in RxJS.
 *
 * @example
 * const stream = new BusStream<number>((subscriber) => { subscriber.next(1); }, (error) => console.error(error));
 * stream.subscribe(() => { throw new Error('bad subscriber'); }); // told to the sink, not thrown
 */
export class BusStream<T> extends Observable<T> {
  readonly #sink: StreamErrorSink;

  constructor(subscribe: ((this: Observable<T>, subscriber: Subscriber<T>) => TeardownLogic) | undefined, sink: StreamErrorSink) {
    super(subscribe);
    this.#sink = sink;
  }

  /** @deprecated RxJS's own: how `pipe` makes an operator's stream; overridden so that stream is guarded too. */
  override lift<R>(operator?: Operator<T, R>): Observable<R> {
    const lifted = new BusStream<R>(undefined, this.#sink);
    lifted.source = this;
    lifted.operator = operator;
    return lifted;
  }

  override subscribe(
    observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null,
    // RxJS's deprecated form, subscribe(next, error, complete), still honoured.
    error?: ((error: unknown) => void) | null,
    complete?: (() => void) | null,
  ): Subscription {
    // An operator's own subscriber (inside a pipe) is passed through: its chain ends at a subscriber this guarded.
    if (observerOrNext instanceof Subscriber) return super.subscribe(observerOrNext);
    const observer: Partial<Observer<T>> =
      typeof observerOrNext === 'function' || observerOrNext === null || observerOrNext === undefined
        ? { ...(observerOrNext ? { next: observerOrNext } : {}), ...(error ? { error } : {}), ...(complete ? { complete } : {}) }
        : observerOrNext;
    const sink = this.#sink;
    return super.subscribe({
      next: (value) => {
        try {
          observer.next?.(value);
        } catch (error) {
          sink(error);
        }
      },
      error: (error: unknown) => {
        if (!observer.error) return sink(error);
        try {
          observer.error(error);
        } catch (thrown) {
          sink(thrown);
        }
      },
      complete: () => {
        try {
          observer.complete?.();
        } catch (error) {
          sink(error);
        }
      },
    });
  }
}
