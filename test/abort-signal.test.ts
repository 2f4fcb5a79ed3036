import { EMPTY, firstValueFrom, from, Observable, of, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  abortable,
  allSettled,
  CancelledError,
  completeWhen,
  type DecidedEvent,
  EmptyResultError,
  type PoolEvent,
  threshold,
  workerPool,
} from 'rxdaemon/operators';
import { failOnUnhandledRejections, sleep } from './support.js';

failOnUnhandledRejections();

describe('AbortSignal on the promise path (real timers)', () => {
  it('aborts the slow tasks with CancelledError when a threshold decides, and never the finished ones', async () => {
    const signals = new Map<number, AbortSignal>();
    const events = await firstValueFrom(
      from([10, 20, 200, 300]).pipe(
        workerPool(
          (ms: number, { index, signal }) => {
            signals.set(index, signal);
            return sleep(ms, ms, signal);
          },
          { concurrency: 4 },
        ),
        completeWhen(threshold(2)),
        toArray(),
      ),
    );
    expect(events.at(-1)).toMatchObject({ type: 'decided', reason: 'threshold', counters: { cancelled: 2 } });
    expect([0, 1, 2, 3].map((i) => signals.get(i)!.aborted)).toEqual([false, false, true, true]);
    expect(signals.get(2)!.reason).toBeInstanceOf(CancelledError);
  });

  it('a task that ignores its signal and settles after being cancelled changes nothing', async () => {
    let lateSettled = false;
    const events = await firstValueFrom(
      from([5, 40]).pipe(
        workerPool((ms: number) => sleep(ms, ms).finally(() => (lateSettled = ms === 40)), {
          concurrency: 2,
        }),
        completeWhen(threshold(1)),
        toArray(),
      ),
    );
    await sleep(60, null);
    expect(lateSettled).toBe(true);
    expect(events.filter((e) => e.type === 'succeeded')).toHaveLength(1);
  });

  it('a rejection after cancellation is swallowed, not an unhandled rejection', async () => {
    await firstValueFrom(
      from([5, 30]).pipe(
        workerPool(
          (ms: number) =>
            ms === 5 ? sleep(ms, ms) : sleep(ms, ms).then(() => Promise.reject(new Error('late'))),
          {
            concurrency: 2,
          },
        ),
        completeWhen(threshold(1)),
        toArray(),
      ),
    );
    await sleep(50, null); // the afterEach hook fails the test if 'late' surfaced as unhandled
  });

  it('reads a signal only after cancellation and still sees it aborted', async () => {
    const seen: AbortSignal[] = [];
    const subscription = from([1])
      .pipe(
        workerPool((_: number, context) => sleep(30, 0).then(() => void seen.push(context.signal)), {
          concurrency: 1,
        }),
      )
      .subscribe();
    await sleep(5, null);
    subscription.unsubscribe();
    await sleep(40, null);
    expect(seen[0]?.aborted).toBe(true);
  });

  it('abortable aborts a fetch-like promise when its subscriber leaves', async () => {
    let signal: AbortSignal | undefined;
    const subscription = abortable((s) => {
      signal = s;
      return sleep(100, 'late', s).catch(() => 'aborted');
    }).subscribe();
    await sleep(5, null);
    subscription.unsubscribe();
    expect(signal?.reason).toBeInstanceOf(CancelledError);
  });
});

describe('faults become failed events; the pool never errors because of a task', () => {
  const run = async (
    task: (input: string) => unknown,
  ): Promise<(PoolEvent<string, unknown> | DecidedEvent)[]> =>
    await firstValueFrom(
      of('x').pipe(workerPool(task as never, { concurrency: 1 }), completeWhen(allSettled()), toArray()),
    );
  const outcome = (events: (PoolEvent<string, unknown> | DecidedEvent)[]) =>
    events.find((e) => e.type === 'succeeded' || e.type === 'failed');

  it('a synchronous throw', async () => {
    expect(
      outcome(
        await run(() => {
          throw new Error('sync');
        }),
      ),
    ).toMatchObject({ type: 'failed', error: new Error('sync') });
  });
  it('a rejection', async () => {
    expect(outcome(await run(() => Promise.reject(new Error('rejected'))))).toMatchObject({ type: 'failed' });
  });
  it('an Observable error', async () => {
    expect(outcome(await run(() => new Observable((s) => s.error(new Error('obs')))))).toMatchObject({
      type: 'failed',
    });
  });
  it('an Observable that emits several values: the last is the result', async () => {
    expect(outcome(await run(() => of(1, 2, 3)))).toMatchObject({ type: 'succeeded', value: 3 });
  });
  it('an Observable that completes empty fails with EmptyResultError', async () => {
    const event = outcome(await run(() => EMPTY));
    expect(event).toMatchObject({ type: 'failed' });
    expect((event as { error: unknown }).error).toBeInstanceOf(EmptyResultError);
  });
  it('a plain value is the result as it is: a number, a string, an array, null', async () => {
    expect(outcome(await run(() => 42))).toMatchObject({ type: 'succeeded', value: 42 });
    expect(outcome(await run(() => 'hello'))).toMatchObject({ type: 'succeeded', value: 'hello' });
    expect(outcome(await run(() => [1, 2, 3]))).toMatchObject({ type: 'succeeded', value: [1, 2, 3] });
    expect(outcome(await run(() => null))).toMatchObject({ type: 'succeeded', value: null });
  });
  it('a promise resolving to undefined succeeds with undefined', async () => {
    expect(outcome(await run(async () => undefined))).toMatchObject({ type: 'succeeded', value: undefined });
  });
});
