import { filter, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  allSettled,
  type MIDecidedEvent,
  type MIEvent,
  MIFailedError,
  multipleInstance,
  runMultipleInstance,
  threshold,
  toMIResult,
  when,
} from 'rxdaemon';
import { marbleScheduler } from './helpers.js';
import { miLog, outcomes } from './mi-helpers.js';

type Cold = Observable<string>;
const byName =
  (tasks: Record<string, Cold>) =>
  (name: string): Observable<string> =>
    tasks[name]!;
const decided = filter((e: MIEvent<unknown, unknown>): e is MIDecidedEvent<unknown> => e.type === 'decided');

describe('YAWL multiple-instance patterns', () => {
  it('WCP-12 multiple instances without synchronisation: the task goes on at once, instances run detached', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const tasks = { a: cold('--x|'), b: cold('----y|'), c: cold('-z|') };
      const events = runMultipleInstance(['a', 'b', 'c'], {
        taskId: 'notify',
        run: byName(tasks),
        concurrency: 3,
        completion: when((c) => c.inputClosed),
        remaining: 'detach',
      });
      expectObservable(events.pipe(miLog(scheduler, outcomes))).toBe('-----(l|)', {
        l: [
          '0 inputClosed 3',
          '0 decided completed rule',
          '2 late 2 succeeded',
          '3 late 0 succeeded',
          '5 late 1 succeeded',
        ],
      });
      expectSubscriptions(tasks.a.subscriptions).toBe('^--!');
      expectSubscriptions(tasks.b.subscriptions).toBe('^----!');
      expectSubscriptions(tasks.c.subscriptions).toBe('^-!');
    });
  });

  it('WCP-13 design-time knowledge: a fixed number of instances, all awaited', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const task = cold('--v|');
      const result = runMultipleInstance(3, { taskId: 'review', run: () => task, concurrency: 2 }).pipe(
        toMIResult(),
      );
      expectObservable(result).toBe('------(r|)', {
        r: expect.objectContaining({ status: 'completed', reason: 'all-settled', values: ['v', 'v', 'v'] }),
      });
      expectSubscriptions(task.subscriptions).toBe(['^--!', '^--!', '---^--!']);
    });
  });

  it('WCP-14 run-time knowledge: as many instances as the data holds, known when the task starts', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const order = { items: ['apple', 'pear', 'fig', 'plum'] };
      const result = runMultipleInstance(order.items, {
        taskId: 'pick',
        run: (item: string) => cold('-x|', { x: item.toUpperCase() }),
        concurrency: 4,
      }).pipe(toMIResult());
      expectObservable(result).toBe('--(r|)', {
        r: expect.objectContaining({
          values: ['APPLE', 'PEAR', 'FIG', 'PLUM'],
          counters: expect.objectContaining({ admitted: 4 }),
        }),
      });
    });
  });

  it('WCP-15 no a-priori knowledge: instances are added while others run, until input closes', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const tasks = { a: cold('---x|'), b: cold('---y|'), c: cold('-z|') };
      const inputs = hot('a--b-----c---|');
      const events = inputs.pipe(multipleInstance({ taskId: 'bids', run: byName(tasks), concurrency: 2 }));
      expectObservable(events.pipe(miLog(scheduler, outcomes))).toBe('-------------(l|)', {
        l: [
          '4 succeeded 0=x',
          '7 succeeded 1=y',
          '11 succeeded 2=z',
          '13 inputClosed 3',
          '13 decided completed all-settled',
        ],
      });
      expectSubscriptions(tasks.a.subscriptions).toBe('^---!');
      expectSubscriptions(tasks.b.subscriptions).toBe('---^---!');
      expectSubscriptions(tasks.c.subscriptions).toBe('---------^-!');
    });
  });

  it('WCP-19 cancel task: one instance is cancelled by index, the others go on', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const tasks = { a: cold('-----x|'), b: cold('-----y|'), c: cold('---z|') };
      const cancel = hot('--1', { 1: 1 } as never) as unknown as Observable<number>;
      const events = runMultipleInstance(['a', 'b', 'c'], {
        taskId: 'audit',
        run: byName(tasks),
        concurrency: 3,
        cancel,
      });
      expectObservable(events.pipe(decided)).toBe('------(d|)', {
        d: expect.objectContaining({
          status: 'completed',
          reason: 'all-settled',
          result: expect.objectContaining({ values: ['x', 'z'] }),
          counters: expect.objectContaining({ succeeded: 2, cancelled: 1 }),
        }),
      });
      expectSubscriptions(tasks.a.subscriptions).toBe('^-----!');
      expectSubscriptions(tasks.b.subscriptions).toBe('^-!'); // cancelled at frame 2
      expectSubscriptions(tasks.c.subscriptions).toBe('^---!');
    });
  });

  it('WCP-26 cancel multiple-instance activity: every instance is torn down, the task is cancelled', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const task = cold('-----x|');
      const abort = hot('---x');
      const events = runMultipleInstance(4, { taskId: 'ship', run: () => task, concurrency: 2, abort });
      expectObservable(events.pipe(miLog(scheduler, outcomes))).toBe('---(l|)', {
        l: [
          '0 inputClosed 4', // a count is static creation: all 4 admitted at once
          '3 cancelled 2 (waiting)', // never started: withdrawn, yet in the result
          '3 cancelled 3 (waiting)',
          '3 cancelled 0',
          '3 cancelled 1',
          '3 decided cancelled aborted',
        ],
      });
      expectSubscriptions(task.subscriptions).toBe(['^--!', '^--!']);
      const again = cold('-----x|');
      expectObservable(
        runMultipleInstance(4, { taskId: 'ship', run: () => again, concurrency: 2, abort }).pipe(
          toMIResult(),
        ),
      ).toBe('---#', undefined, expect.any(MIFailedError));
    });
  });

  it('WCP-27 complete multiple-instance activity: forced completion keeps what succeeded, cancels the rest', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const tasks = { a: cold('-x|'), b: cold('-----y|'), c: cold('------z|') };
      const complete = hot('----x');
      const result = runMultipleInstance(['a', 'b', 'c'], {
        taskId: 'survey',
        run: byName(tasks),
        concurrency: 3,
        complete,
      }).pipe(toMIResult());
      expectObservable(result).toBe('----(r|)', {
        r: expect.objectContaining({
          status: 'completed',
          reason: 'forced',
          values: ['x'],
          instances: [
            expect.objectContaining({ index: 0, status: 'succeeded', startedAt: 0, endedAt: 2 }),
            expect.objectContaining({ index: 1, status: 'cancelled', endedAt: 4 }),
            expect.objectContaining({ index: 2, status: 'cancelled', endedAt: 4 }),
          ],
        }),
      });
      expectSubscriptions(tasks.b.subscriptions).toBe('^---!');
      expectSubscriptions(tasks.c.subscriptions).toBe('^---!');
    });
  });

  it('WCP-34 static partial join: after the threshold the task goes on, the rest run on detached', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const tasks = { a: cold('--x|'), b: cold('----y|'), c: cold('-------z|'), d: cold('--w|') };
      const events = runMultipleInstance(['a', 'b', 'c', 'd'], {
        taskId: 'quotes',
        run: byName(tasks),
        concurrency: 3,
        completion: threshold(2),
        remaining: 'detach',
      });
      expectObservable(events.pipe(miLog(scheduler, outcomes))).toBe('--------(l|)', {
        l: [
          '0 inputClosed 4',
          '3 succeeded 0=x',
          '5 succeeded 1=y',
          '5 decided completed threshold',
          '6 late 3 succeeded',
          '8 late 2 succeeded',
        ],
      });
      expectSubscriptions(tasks.c.subscriptions).toBe('^-------!'); // runs to its end, detached
      expectSubscriptions(tasks.d.subscriptions).toBe('---^--!'); // took a's slot at 3, detached at 5
    });
  });

  it('WCP-35 cancelling partial join: after the threshold the remaining instances are cancelled at that frame', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const tasks = { a: cold('--x|'), b: cold('----y|'), c: cold('-------z|') };
      const events = runMultipleInstance(['a', 'b', 'c'], {
        taskId: 'quotes',
        run: byName(tasks),
        concurrency: 3,
        completion: threshold(2),
      });
      expectObservable(events.pipe(miLog(scheduler, outcomes))).toBe('-----(l|)', {
        l: [
          '0 inputClosed 3',
          '3 succeeded 0=x',
          '5 succeeded 1=y',
          '5 cancelled 2',
          '5 decided completed threshold',
        ],
      });
      expectSubscriptions(tasks.c.subscriptions).toBe('^----!');
    });
  });

  it('WCP-36 dynamic partial join: instances keep arriving until a rule over them holds', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const tasks = { a: cold('-#'), b: cold('--x|'), c: cold('--y|'), d: cold('-----w|') };
      const inputs = hot('ab-c-d------|');
      const events = inputs.pipe(
        multipleInstance({
          taskId: 'votes',
          run: byName(tasks),
          concurrency: 4,
          completion: when((c) => c.succeeded >= 2),
        }),
      );
      expectObservable(events.pipe(miLog(scheduler, outcomes))).toBe('------(l|)', {
        l: ['1 failed 0', '4 succeeded 1=x', '6 succeeded 2=y', '6 cancelled 3', '6 decided completed rule'],
      });
      expectSubscriptions(inputs.subscriptions).toBe('^-----!');
      expectSubscriptions(tasks.d.subscriptions).toBe('-----^!');
    });
  });

  it('every event carries taskId, caseId, instanceId and scheduler time', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const events = runMultipleInstance(['a'], {
        taskId: 'ship',
        caseId: 'order-7',
        run: () => cold('--x|'),
        concurrency: 1,
        completion: allSettled(),
      }).pipe(filter((e) => e.type === 'succeeded'));
      expectObservable(events).toBe('---(s|)', {
        s: {
          type: 'succeeded',
          taskId: 'ship',
          caseId: 'order-7',
          at: 3,
          index: 0,
          instanceId: 'ship#0',
          value: 'x',
          attempts: 1,
        },
      });
    });
  });
});
