import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { parseConfig, schedulerSchema } from './internal/config.js';
import { SlidingWindow } from './internal/sliding-window.js';
import { valueKind } from './internal/value-kind.js';

/** Latency figures over the most recent `window` samples. */
export interface LatencySnapshot {
  /** Samples seen since subscription. */
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  /** Samples per second over the window's time span (scheduler time). */
  readonly perSecond: number;
}

export interface LatencyStatsOptions {
  /** How many recent samples the percentiles cover (default 1000). */
  readonly window?: number;
  readonly scheduler?: SchedulerLike;
}

const optionsSchema = z.strictObject({
  window: z.number().int().min(1).optional(),
  scheduler: schedulerSchema.optional(),
});

/**
 * Turns a stream of latencies (ms) into a snapshot per sample: nearest-rank p50/p95/p99 and max
 * over the last `window` samples, and their rate. The window is kept sorted incrementally (binary
 * search + one splice per sample), so a snapshot costs O(window) memory moves, not a sort. A
 * latency that is not a number ≥ 0 errors the stream with a TypeError naming it.
 *
 * ```text
 * latencies: 3-1-2|            window 2
 * snapshots: a-b-c|            c = {count 3, p50 1, max 2, …} over [1, 2]
 * ```
 */
export function latencyStats(options: LatencyStatsOptions = {}): OperatorFunction<number, LatencySnapshot> {
  parseConfig('latencyStats options', optionsSchema, options);
  const { window = 1000, scheduler = asyncScheduler } = options;
  return (source) =>
    new Observable<LatencySnapshot>((subscriber) => {
      const samples = new SlidingWindow(window);
      return source.subscribe({
        next: (latency) => {
          // A latency that is no number would sort into the window and corrupt every figure.
          if (typeof latency !== 'number' || !(latency >= 0)) {
            return subscriber.error(
              new TypeError(`latencyStats: latencies must be numbers ≥ 0, got ${valueKind(latency)}`),
            );
          }
          const now = scheduler.now();
          samples.add(latency, now);
          subscriber.next({
            count: samples.total,
            p50: samples.percentile(0.5),
            p95: samples.percentile(0.95),
            p99: samples.percentile(0.99),
            max: samples.max,
            perSecond: samples.ratePerSecond(now),
          });
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
