import { firstValueFrom, Subject, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  createDaemon,
  cron,
  every,
  idle,
  onEvent,
  onMutation,
  type TriggerFire,
  runMultipleInstance,
  threshold,
  timeoutEach,
  tokenBucket,
} from 'rxdaemon';
import { virtualClock } from 'rxdaemon/testing';
import { sleep } from './support.js';

const DAY = 24 * 3_600_000;
const TEN_YEARS = 3650 * DAY;

/** Takes `n` fires of a trigger in virtual time; `flush()` must return with no action left. */
function takeInVirtualTime(
  make: (clock: ReturnType<typeof virtualClock>) => import('rxjs').Observable<TriggerFire>,
  n: number,
  drive?: (clock: ReturnType<typeof virtualClock>) => void,
) {
  const clock = virtualClock('2026-01-01T00:00:00Z');
  const fires: TriggerFire[] = [];
  let completed = false;
  make(clock)
    .pipe(take(n))
    .subscribe({ next: (fire) => fires.push(fire), complete: () => (completed = true) });
  drive?.(clock);
  clock.maxFrames = TEN_YEARS; // a source that re-arms on a closed subscriber would still be scheduling here
  clock.flush();
  return { fires, completed, actionsLeft: clock.actions.length };
}

describe('nothing outlives its subscriber (principle 8)', () => {
  for (const n of [1, 2, 3]) {
    it(`cron, every and idle: take(${n}) in virtual time leaves no action, flush() returns`, () => {
      for (const make of [
        (clock: ReturnType<typeof virtualClock>) => cron('0 * * * *', { scheduler: clock }),
        (clock: ReturnType<typeof virtualClock>) =>
          cron('*/5 * * * * *', { tz: 'Europe/Paris', scheduler: clock }),
        (clock: ReturnType<typeof virtualClock>) => every(1000, { scheduler: clock }),
      ]) {
        const { fires, completed, actionsLeft } = takeInVirtualTime(make, n);
        expect(fires).toHaveLength(n);
        expect(completed).toBe(true);
        expect(actionsLeft).toBe(0);
      }
      const activity = new Subject<void>();
      const idleRun = takeInVirtualTime(
        (clock) => idle(activity, 50, { scheduler: clock }),
        n,
        (clock) => {
          for (let i = 0; i < n; i++) {
            clock.advanceBy(100);
            activity.next();
          }
        },
      );
      expect(idleRun.fires).toHaveLength(n);
      expect(idleRun.actionsLeft).toBe(0);
    });
  }

  it('onEvent and onMutation stop listening to their source on take(n)', () => {
    const events = new Subject<{ name: string }>();
    const mutations = new Subject<{ entity: string; kind: string }>();
    const names: unknown[] = [];
    onEvent(events, 'x')
      .pipe(take(2))
      .subscribe((f) => names.push(f.cause));
    onMutation(mutations, { kinds: ['update'] })
      .pipe(take(1))
      .subscribe((f) => names.push(f.cause));
    for (let i = 0; i < 3; i++) events.next({ name: 'x' });
    mutations.next({ entity: 'order', kind: 'update' });
    expect(names).toHaveLength(3);
    expect(events.observed).toBe(false);
    expect(mutations.observed).toBe(false);
  });

  it('a daemon operation that unschedules itself from its cron run leaves no timer after stop()', async () => {
    const clock = virtualClock('2026-01-01T00:00:00Z');
    const daemon = createDaemon({ scheduler: clock });
    let runs = 0;
    daemon.schedule({
      id: 'once',
      trigger: { type: 'cron', expression: '0 * * * *' },
      run: () => {
        runs++;
        daemon.unschedule('once');
        return 'done';
      },
    });
    daemon.start();
    clock.advanceBy(3 * 3_600_000);
    await daemon.stop();
    clock.maxFrames = TEN_YEARS;
    clock.flush();
    expect(runs).toBe(1);
    expect(clock.actions).toHaveLength(0);
  });
});

describe('waits longer than 2^31−1 ms (one mechanism for all)', () => {
  const THIRTY_DAYS = 30 * DAY;

  it('every(30 days) in real time does not fire at once', async () => {
    const fires: TriggerFire[] = [];
    const subscription = every(THIRTY_DAYS).subscribe((f) => fires.push(f));
    await sleep(50, null);
    subscription.unsubscribe();
    expect(fires).toEqual([]);
  });

  it('a daemon run with timeoutMs of 30 days succeeds after 20 ms', async () => {
    const daemon = createDaemon();
    daemon.schedule({ id: 'slow', timeoutMs: THIRTY_DAYS, run: () => sleep(20, 'ok') });
    daemon.start();
    const result = await daemon.execute('slow');
    expect(result).toMatchObject({ status: 'succeeded', value: 'ok' });
    await daemon.stop();
  });

  it('an MI instance with instanceTimeoutMs of 30 days and a retry delay of 30 days wait them out', async () => {
    const result = await firstValueFrom(
      runMultipleInstance(2, {
        taskId: 't',
        concurrency: 2,
        instanceTimeoutMs: THIRTY_DAYS,
        run: (i) => sleep(10, i),
      }).pipe(toArray()),
    );
    expect(result.filter((e) => e.type === 'succeeded')).toHaveLength(2);
  });

  it('in virtual time, every(30 days), timeoutEach, tokenBucket and a retry delay of 30 days fire exactly when due', () => {
    const clock = virtualClock('2026-01-01T00:00:00Z');
    const start = clock.now();
    const at: number[] = [];
    every(THIRTY_DAYS, { scheduler: clock })
      .pipe(take(2))
      .subscribe(() => at.push(clock.now() - start));
    const timedOut: number[] = [];
    new Subject<never>()
      .pipe(timeoutEach(THIRTY_DAYS, { scheduler: clock }))
      .subscribe({ error: () => timedOut.push(clock.now() - start) });
    const released: number[] = [];
    new Subject<number>().pipe(
      tokenBucket({ capacity: 1, refillPerSecond: 1 / (40 * 86_400), scheduler: clock }),
    );
    const bucketSource = new Subject<number>();
    bucketSource
      .pipe(tokenBucket({ capacity: 1, refillPerSecond: 1 / (40 * 86_400), scheduler: clock }))
      .subscribe(() => released.push(clock.now() - start));
    bucketSource.next(1);
    bucketSource.next(2);
    const attempts: number[] = [];
    runMultipleInstance(1, {
      taskId: 'r',
      concurrency: 1,
      scheduler: clock,
      retry: { maxAttempts: 2, initialDelayMs: THIRTY_DAYS, maxDelayMs: THIRTY_DAYS },
      completion: threshold(1),
      run: (_i, { attempt }) => {
        attempts.push(clock.now() - start);
        if (attempt === 1) throw new Error('first attempt fails');
        return 'ok';
      },
    }).subscribe();
    clock.advanceBy(100 * DAY);
    expect(at).toEqual([THIRTY_DAYS, 2 * THIRTY_DAYS]);
    expect(timedOut).toEqual([THIRTY_DAYS]);
    expect(released[0]).toBe(0);
    expect(Math.abs(released[1]! - 40 * DAY)).toBeLessThan(10); // the bucket's float tolerance, not 1 ms

    expect(attempts).toEqual([0, THIRTY_DAYS]);
  });
});
