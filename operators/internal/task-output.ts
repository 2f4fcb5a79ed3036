import {
  from,
  type InteropObservable,
  isObservable,
  type Observable,
  observable as observableSymbol,
  of,
} from 'rxjs';

/**
 * What a task may return: a plain value, a Promise of one, or an Observable whose last value is the
 * result. Strings, arrays and other iterables are plain values — a task returning `'hello'` has the
 * result `'hello'`, not `'o'` as rxjs `from` would make of it.
 */
export type TaskOutput<R> = R | PromiseLike<R> | Observable<R> | InteropObservable<R>;

export function isPromiseLike<T>(value: unknown): value is PromiseLike<T> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Partial<PromiseLike<T>>).then === 'function'
  );
}

/** An rxjs Observable, or any object implementing `Symbol.observable` (an interop observable). */
export function isObservableLike<T>(value: unknown): value is Observable<T> | InteropObservable<T> {
  return (
    isObservable(value) ||
    (typeof value === 'object' &&
      value !== null &&
      typeof (value as Record<PropertyKey, unknown>)[observableSymbol] === 'function')
  );
}

/** A task's output as an Observable: a promise or observable as it is, anything else as `of(value)`. */
export function outputAsObservable<R>(output: TaskOutput<R>): Observable<R> {
  if (isObservable(output)) return output as Observable<R>;
  if (isPromiseLike<R>(output) || isObservableLike<R>(output)) return from(output);
  return of(output);
}
