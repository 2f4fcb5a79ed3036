import { Observable, timer } from 'rxjs';
import { afterEach, beforeEach, expect } from 'vitest';
import type { InstancePlan } from 'rxdaemon/testing';

/** Resolves `value` after `ms` real milliseconds, or rejects with the signal's reason if it aborts first. */
export function sleep<T>(ms: number, value: T, signal?: AbortSignal): Promise<T> {
  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => resolve(value), ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timeout);
      reject(signal.reason as Error);
    });
  });
}

/** Fails every test of the file after which an unhandled promise rejection surfaced. */
export function failOnUnhandledRejections(): void {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
  beforeEach(() => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    await sleep(30, null);
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });
}

/**
 * Instance `index` of a generated scenario as a cold task on the current (virtual) scheduler: it runs
 * `durationMs`, then succeeds with `index` or fails. `onEnd` learns whether it settled or was torn down.
 */
export function plannedTask(
  plan: InstancePlan,
  index: number,
  hooks: { onStart(): void; onEnd(settled: boolean): void },
): Observable<number> {
  return new Observable<number>((subscriber) => {
    hooks.onStart();
    let settled = false;
    const work = timer(plan.durationMs).subscribe(() => {
      settled = true;
      if (plan.outcome === 'succeed') {
        subscriber.next(index);
        subscriber.complete();
      } else subscriber.error(new Error(`instance ${index} failed`));
    });
    return () => {
      work.unsubscribe();
      hooks.onEnd(settled);
    };
  });
}
