import { type Observable, map, filter, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ConfigError, workerPool } from 'rxdaemon/operators';
import { eventLog, marbleScheduler } from './helpers.js';

describe('workerPool', () => {
  it('runs at most `concurrency` tasks and starts the next one when a slot frees', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const x = cold('--a|');
      const y = cold('----b|');
      const z = cold('--c|');
      const tasks: Record<string, Observable<string>> = { x, y, z };
      const events = cold('(xyz|)').pipe(workerPool((name: string) => tasks[name]!, { concurrency: 2 }));
      expectObservable(events.pipe(eventLog(scheduler))).toBe('------(l|)', {
        l: ['0 A0', '0 S0', '0 A1', '0 S1', '0 A2', '0 C3', '3 D0=a', '3 S2', '5 D1=b', '6 D2=c'],
      });
      expectSubscriptions(x.subscriptions).toBe('^--!   ');
      expectSubscriptions(y.subscriptions).toBe('^----! ');
      expectSubscriptions(z.subscriptions).toBe('---^--!'); // starts only when x frees its slot
    });
  });

  it('takes the last value a task emits as its result; errors and empty tasks become failures', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const tasks: Record<string, Observable<string>> = {
        many: cold('-a-b-c|'),
        none: cold('--|'),
        boom: cold('-#', undefined, new Error('boom')),
      };
      const events = cold('(abc|)', { a: 'many', b: 'none', c: 'boom' }).pipe(
        workerPool((name: string) => tasks[name]!, { concurrency: 3 }),
      );
      expectObservable(
        events.pipe(
          eventLog(scheduler),
          map((log) => log.filter((l) => !/ [ASC]/.test(l))),
        ),
      ).toBe('------(l|)', { l: ['1 F2', '2 F1', '6 D0=c'] });
    });
  });

  it('raises and lowers concurrency while running', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const task = cold('----t|');
      const limits = hot('1-3------1', { 1: 1, 3: 3 } as never) as unknown as Observable<number>;
      const events = cold('(abcdefg|)').pipe(workerPool(() => task, { concurrency: limits }));
      const starts = events.pipe(
        eventLog(scheduler),
        map((log) => log.filter((l) => / S/.test(l))),
      );
      // Raised to 3 at frame 2: two more start at once. Lowered to 1 at 9: 4 and 5 run on; 6 waits for both.
      expectObservable(starts).toBe('-----------------(l|)', {
        l: ['0 S0', '2 S1', '2 S2', '5 S3', '7 S4', '7 S5', '12 S6'],
      });
      expectSubscriptions(task.subscriptions).toBe([
        '^----!',
        '--^----!',
        '--^----!',
        '-----^----!',
        '-------^----!',
        '-------^----!',
        '------------^----!',
      ]);
    });
  });

  it('cancels one instance by index: a waiting one is withdrawn, a running one torn down', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const task = cold('-----t|');
      const cancel = hot('--0--2', { 0: 0, 2: 2 } as never) as unknown as Observable<number>;
      const events = cold('(abc|)').pipe(workerPool(() => task, { concurrency: 1, cancel }));
      expectObservable(
        events.pipe(
          eventLog(scheduler),
          map((log) => log.filter((l) => !/ A|C3/.test(l))),
        ),
      ).toBe('--------(l|)', { l: ['0 S0', '2 X0r', '2 S1', '5 X2p', '8 D1=t'] });
      expectSubscriptions(task.subscriptions).toBe(['^-!', '--^-----!']);
    });
  });

  it('tears down every running task when unsubscribed, and drops the waiting ones', () => {
    marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const task = cold('-----t|');
      const events = cold('(abc|)').pipe(workerPool(() => task, { concurrency: 2 }));
      expectObservable(events, '^--!').toBe('(abcdef)', {
        a: { type: 'admitted', index: 0, input: 'a' },
        b: { type: 'started', index: 0, input: 'a' },
        c: { type: 'admitted', index: 1, input: 'b' },
        d: { type: 'started', index: 1, input: 'b' },
        e: { type: 'admitted', index: 2, input: 'c' },
        f: { type: 'inputClosed', total: 3 },
      });
      expectSubscriptions(task.subscriptions).toBe(['^--!', '^--!']);
    });
  });

  it('errors when its source errors, tearing down what runs', () => {
    marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const task = cold('-----t|');
      const events = cold('a--#').pipe(
        workerPool(() => task, { concurrency: 2 }),
        filter((e) => e.type === 'succeeded'),
      );
      expectObservable(events).toBe('---#');
      expectSubscriptions(task.subscriptions).toBe('^--!');
    });
  });

  it('rejects bad options with a ConfigError naming every field, before subscribing', () => {
    const bad = { concurrency: 0, cancel: 5 } as unknown as { concurrency: number };
    expect(() => workerPool(() => [1], bad)).toThrow(ConfigError);
    try {
      workerPool(() => [1], bad);
    } catch (error) {
      expect((error as ConfigError).fields).toEqual(['concurrency', 'cancel']);
      expect(String(error)).toMatch(/concurrency/);
    }
    expect(() => workerPool(() => [1], { concurrency: NaN })).toThrow(/concurrency/);
    expect(() => workerPool(() => [1], { concurrency: 1.5 })).toThrow(ConfigError);
  });

  it('errors with a ConfigError when a concurrency stream emits a bad limit', () => {
    marbleScheduler().run(({ cold, expectObservable }) => {
      const limits = new Subject<number>();
      const events = cold('a').pipe(
        workerPool(() => cold('-t|'), { concurrency: limits }),
        filter(() => false),
      );
      expectObservable(events).toBe('--#', undefined, expect.any(ConfigError));
      cold('--x').subscribe(() => limits.next(-1));
    });
  });
});
