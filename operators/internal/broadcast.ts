import { Observable, type Observer, Subscriber, type Subscription } from 'rxjs';

/**
 * A hot stream of an engine's events whose direct listeners cannot hurt the engine: rxjs reports a
 * throw from a `next` handler passed to `subscribe` as an unhandled error — in Node, an uncaught
 * exception that takes the process down. Here a listener's throw is caught and handed to
 * `onListenerError`, and every other listener still gets the event. Operator chains (`pipe`) are
 * subscribed as usual: their own callbacks already send throws down their error channel.
 */
export class Broadcast<T> {
  readonly events: Observable<T>;
  private listeners: readonly Subscriber<T>[] = [];
  /** The event being delivered, for a report of a listener that threw on it. */
  private current: T | undefined;

  /** @param onListenerError - told of a listener's throw and of the event it threw on */
  constructor(onListenerError: (error: unknown, event: T | undefined) => void) {
    this.events = new GuardedObservable<T>(
      (subscriber) => {
        this.listeners = [...this.listeners, subscriber];
        return () => {
          this.listeners = this.listeners.filter((listener) => listener !== subscriber);
        };
      },
      (error) => onListenerError(error, this.current),
    );
  }

  get observed(): boolean {
    return this.listeners.length > 0;
  }

  emit(event: T): void {
    const { listeners } = this; // a snapshot: a listener (un)subscribing now changes the next emit
    const outer = this.current;
    this.current = event;
    try {
      for (let i = 0; i < listeners.length; i++) listeners[i]!.next(event);
    } finally {
      this.current = outer;
    }
  }
}

class GuardedObservable<T> extends Observable<T> {
  constructor(
    subscribe: (subscriber: Subscriber<T>) => () => void,
    private readonly onListenerError: (error: unknown) => void,
  ) {
    super(subscribe);
  }

  override subscribe(observerOrNext?: Partial<Observer<T>> | ((value: T) => void) | null): Subscription {
    // A Subscriber is an operator chain's (or rxjs's own): its callbacks are guarded already.
    if (observerOrNext instanceof Subscriber) return super.subscribe(observerOrNext as Subscriber<T>);
    if (observerOrNext == null) return super.subscribe();
    const report = this.onListenerError;
    const guarded = <A extends unknown[]>(callback: ((...args: A) => void) | undefined) =>
      callback &&
      ((...args: A) => {
        try {
          callback(...args);
        } catch (error) {
          report(error);
        }
      });
    if (typeof observerOrNext === 'function') return super.subscribe(guarded(observerOrNext));
    const observer = observerOrNext;
    return super.subscribe({
      next: guarded(observer.next?.bind(observer)) ?? (() => undefined),
      error: guarded(observer.error?.bind(observer)) ?? (() => undefined),
      complete: guarded(observer.complete?.bind(observer)) ?? (() => undefined),
    });
  }
}
