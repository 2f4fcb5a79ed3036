import { describe, it } from 'vitest';
import { type Counters, tally, workerPool } from 'rxdaemon/operators';
import { marbleScheduler } from './helpers.js';

const zero: Counters = {
  admitted: 0,
  pending: 0,
  running: 0,
  succeeded: 0,
  failed: 0,
  cancelled: 0,
  inputClosed: false,
};

describe('tally', () => {
  it('scans pool events into one counters snapshot per event', () => {
    marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const ok = cold('-----a|');
      const bad = cold('-----#');
      const counters = cold('x 9ms y 5ms |', { x: 'ok', y: 'bad' }).pipe(
        workerPool((name: string) => (name === 'ok' ? ok : bad), { concurrency: 1 }),
        tally(),
      );
      expectObservable(counters).toBe('(ab)--c---(de)-f(g|)', {
        a: { ...zero, admitted: 1, pending: 1 },
        b: { ...zero, admitted: 1, running: 1 },
        c: { ...zero, admitted: 1, succeeded: 1 },
        d: { ...zero, admitted: 2, pending: 1, succeeded: 1 },
        e: { ...zero, admitted: 2, running: 1, succeeded: 1 },
        f: { ...zero, admitted: 2, succeeded: 1, failed: 1 },
        g: { ...zero, admitted: 2, succeeded: 1, failed: 1, inputClosed: true },
      });
      expectSubscriptions(ok.subscriptions).toBe('^-----!');
      expectSubscriptions(bad.subscriptions).toBe('----------^----!');
    });
  });

  it('unsubscribing from the counters tears the pool and its tasks down', () => {
    marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const task = cold('----a|');
      const counters = cold('(x|)').pipe(
        workerPool(() => task, { concurrency: 1 }),
        tally(),
      );
      expectObservable(counters, '^-!').toBe('(abc)', {
        a: { ...zero, admitted: 1, pending: 1 },
        b: { ...zero, admitted: 1, running: 1 },
        c: { ...zero, admitted: 1, running: 1, inputClosed: true },
      });
      expectSubscriptions(task.subscriptions).toBe('^-!');
    });
  });
});
