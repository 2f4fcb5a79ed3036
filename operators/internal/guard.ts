/** Anything with an error channel: a Subscriber, or an engine's own failure path. */
export interface ErrorSink {
  error(error: unknown): void;
}

/**
 * Wraps a user callback (a predicate, a handler, a control-stream listener) so that a throw goes to
 * `sink.error` instead of out of the call. rxjs reports a throw from a `next` handler passed to
 * `subscribe` as an unhandled error (an uncaught exception in Node); every callback the kernel or an
 * engine calls on behalf of a user goes through here, or through its own try/catch on a hot path.
 */
export function guard<A extends unknown[]>(
  sink: ErrorSink,
  callback: (...args: A) => void,
): (...args: A) => void {
  return (...args) => {
    try {
      callback(...args);
    } catch (error) {
      sink.error(error);
    }
  };
}
