/** How many instances are in each state, derived from a pool's events. */
export interface Counters {
  /** Inputs the pool has taken in. */
  readonly admitted: number;
  /** Admitted, waiting for a slot. */
  readonly pending: number;
  readonly running: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly cancelled: number;
  /** The input stream has completed: no more instances will be admitted. */
  readonly inputClosed: boolean;
}

export type MutableCounters = { -readonly [K in keyof Counters]: Counters[K] };

export function emptyCounters(): MutableCounters {
  return { admitted: 0, pending: 0, running: 0, succeeded: 0, failed: 0, cancelled: 0, inputClosed: false };
}

/** Any event that changes the counters: pool events, MI events, and decisions (which carry final counters). */
export type CountableEvent =
  | { readonly type: 'admitted' | 'started' | 'succeeded' | 'failed' | 'inputClosed' }
  | { readonly type: 'cancelled'; readonly wasRunning: boolean }
  | { readonly type: 'decided'; readonly counters: Counters };

/** A copy with every field spelled out: one allocation of a fixed shape, cheaper than a spread. */
export function copyCounters(c: Counters): MutableCounters {
  return {
    admitted: c.admitted,
    pending: c.pending,
    running: c.running,
    succeeded: c.succeeded,
    failed: c.failed,
    cancelled: c.cancelled,
    inputClosed: c.inputClosed,
  };
}

/**
 * Folds one event into `counters` in place. Returns whether a completion rule should look again:
 * after every terminal event and when input closes.
 */
export function countEvent(counters: MutableCounters, event: CountableEvent): boolean {
  switch (event.type) {
    case 'decided':
      // The decision carries the final accounting (torn-down instances counted as cancelled).
      Object.assign(counters, event.counters);
      return false;
    case 'admitted':
      counters.admitted++;
      counters.pending++;
      return false;
    case 'started':
      counters.pending--;
      counters.running++;
      return false;
    case 'succeeded':
      counters.running--;
      counters.succeeded++;
      return true;
    case 'failed':
      counters.running--;
      counters.failed++;
      return true;
    case 'cancelled':
      if (event.wasRunning) counters.running--;
      else counters.pending--;
      counters.cancelled++;
      return true;
    case 'inputClosed':
      counters.inputClosed = true;
      return true;
  }
}

/** Every admitted instance has ended and no more will come. */
export function allSettledNow(counters: Counters): boolean {
  return counters.inputClosed && counters.running === 0 && counters.pending === 0;
}
