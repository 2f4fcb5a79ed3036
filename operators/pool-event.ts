/**
 * The events a {@link workerPool} emits, one stream per pool subscription. `index` is the 0-based
 * admission order of the input the event is about.
 */
export type PoolEvent<I, R> =
  | { readonly type: 'admitted'; readonly index: number; readonly input: I }
  | { readonly type: 'started'; readonly index: number; readonly input: I }
  | { readonly type: 'succeeded'; readonly index: number; readonly input: I; readonly value: R }
  | { readonly type: 'failed'; readonly index: number; readonly input: I; readonly error: unknown }
  | {
      readonly type: 'cancelled';
      readonly index: number;
      readonly input: I;
      /** Whether it had started (and so was torn down) or was still waiting for a slot. */
      readonly wasRunning: boolean;
    }
  | { readonly type: 'inputClosed'; readonly total: number };

/** The events that end an instance. */
export type TerminalPoolEvent<I, R> = Extract<
  PoolEvent<I, R>,
  { type: 'succeeded' | 'failed' | 'cancelled' }
>;
