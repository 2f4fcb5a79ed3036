import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { parseConfig, schedulerSchema } from './internal/config.js';

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

const optionsSchema = z.object({
  window: z.number().int().min(1).optional(),
  scheduler: schedulerSchema.optional(),
});

/**
 * Turns a stream of latencies (ms) into a snapshot per sample: nearest-rank p50/p95/p99 and max
 * over the last `window` samples, and their rate. The window is kept sorted incrementally (binary
 * search + one splice per sample), so a snapshot costs O(window) memory moves, not a sort.
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
      const arrivals: number[] = new Array<number>(window);
      const samples: number[] = new Array<number>(window);
      const sorted: number[] = [];
      let count = 0;
      return source.subscribe({
        next: (latency) => {
          const slot = count % window;
          if (count >= window) sorted.splice(lowerBound(sorted, samples[slot]!), 1);
          samples[slot] = latency;
          arrivals[slot] = scheduler.now();
          sorted.splice(lowerBound(sorted, latency), 0, latency);
          count++;
          const oldest = arrivals[count >= window ? count % window : 0]!;
          const spanMs = Math.max(1, scheduler.now() - oldest);
          subscriber.next({
            count,
            p50: rank(sorted, 0.5),
            p95: rank(sorted, 0.95),
            p99: rank(sorted, 0.99),
            max: sorted[sorted.length - 1]!,
            perSecond: sorted.length < 2 ? 0 : ((sorted.length - 1) * 1000) / spanMs,
          });
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}

/** The nearest-rank percentile of a sorted, non-empty array. */
export function rank(sorted: readonly number[], quantile: number): number {
  return sorted[Math.max(0, Math.ceil(quantile * sorted.length) - 1)]!;
}

function lowerBound(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}
