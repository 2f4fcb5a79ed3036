/** Where a context's `signal` comes from: a pool run, which makes its AbortController on first read. */
interface SignalSource {
  readonly signal: AbortSignal;
}

const SOURCE = Symbol('rxdaemon.signalSource');

/**
 * One accessor shared by every context: it reads the run's signal (created only when read). Defined
 * on each context as an *own*, enumerable property, so `{ ...context }` and `Object.keys` see
 * `signal` — an object literal with a getter would do the same at ~400 ns a context (V8 builds such
 * literals in the runtime); this costs a quarter of that, and an eager AbortController ~3 µs.
 */
const LIVE_SIGNAL: PropertyDescriptor = {
  get(this: { [SOURCE]: SignalSource }) {
    return this[SOURCE].signal;
  },
  enumerable: true,
  configurable: true,
};

/**
 * `fields` with a `signal` of its own: `signal` itself when given (an attempt's, made by
 * `withAttempts`), else the run's, read lazily. This is how every context handed to user code gets
 * its signal, in every entry point.
 */
export function withSignal<T extends object>(
  fields: T,
  run: SignalSource,
  signal: AbortSignal | undefined,
): T & { readonly signal: AbortSignal } {
  if (signal !== undefined) return Object.assign(fields, { signal });
  (fields as T & { [SOURCE]: SignalSource })[SOURCE] = run;
  return Object.defineProperty(fields, 'signal', LIVE_SIGNAL) as T & { readonly signal: AbortSignal };
}
