import { concat, distinctUntilChanged, from, map, type Observable, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  BackpressureError,
  ConfigError,
  fromYawlAttributes,
  type InstanceContext,
  instanceStates,
  MaxInstancesError,
  MIFailedError,
  MinInstancesError,
  multipleInstance,
  runMultipleInstance,
  threshold,
  toMIResult,
} from 'rxdaemon';
import { marbleScheduler } from './helpers.js';
import { miLog, outcomes } from './mi-helpers.js';

describe('multiple-instance limits', () => {
  it('a source of known length over maxInstances fails before anything starts', () => {
    marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const task = cold('-x|');
      const result = runMultipleInstance(['a', 'b', 'c'], {
        taskId: 't',
        run: () => task,
        concurrency: 2,
        maxInstances: 2,
      });
      expectObservable(result.pipe(toMIResult())).toBe(
        '#',
        undefined,
        expect.objectContaining({
          code: 'MI_FAILED',
          result: expect.objectContaining({
            reason: 'max-instances',
            counters: expect.objectContaining({ admitted: 0 }),
          }),
          cause: expect.any(MaxInstancesError),
        }),
      );
      expectSubscriptions(task.subscriptions).toBe([]);
    });
  });

  it('a lazy iterable fails when it yields the (max + 1)-th input', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      function* letters(): Generator<string> {
        yield* ['a', 'b', 'c', 'd'];
      }
      const events = runMultipleInstance(letters(), {
        taskId: 't',
        run: () => cold('-x|'),
        concurrency: 1,
        maxInstances: 2,
      });
      expectObservable(events.pipe(miLog(scheduler, outcomes))).toBe('----(l|)', {
        l: ['2 succeeded 0=x', '4 succeeded 1=x', '4 decided failed max-instances'],
      });
    });
  });

  it('an Observable source past maxInstances gets its extra inputs refused', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, hot, expectObservable }) => {
      const events = hot('a-b-c|').pipe(
        multipleInstance({ taskId: 't', run: () => cold('-x|'), concurrency: 3, maxInstances: 2 }),
      );
      expectObservable(events.pipe(miLog(scheduler, outcomes))).toBe('-----(l|)', {
        l: [
          '2 succeeded 0=x',
          '4 refused c (max-instances)',
          '4 succeeded 1=x',
          '5 inputClosed 2',
          '5 decided completed all-settled',
        ],
      });
    });
  });

  it('fewer than minInstances when input closes fails with min-instances', () => {
    marbleScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
      const task = cold('-----x|');
      const result = hot('a-|').pipe(
        multipleInstance({ taskId: 't', run: () => task, concurrency: 2, minInstances: 2 }),
        toMIResult(),
      );
      expectObservable(result).toBe(
        '--#',
        undefined,
        expect.objectContaining({ cause: expect.any(MinInstancesError) }),
      );
      expectSubscriptions(task.subscriptions).toBe('^-!');
    });
  });

  it('an Observable source that outruns the pool past maxBuffered fails with backpressure', () => {
    marbleScheduler().run(({ cold, hot, expectObservable }) => {
      const result = hot('abcd|').pipe(
        multipleInstance({ taskId: 't', run: () => cold('-----x|'), concurrency: 1, maxBuffered: 2 }),
        toMIResult(),
      );
      expectObservable(result).toBe(
        '---#',
        undefined,
        expect.objectContaining({
          result: expect.objectContaining({ reason: 'backpressure' }),
          cause: expect.any(BackpressureError),
        }),
      );
    });
  });

  it('empty input: allSettled completes with no values, threshold fails as unreachable', () => {
    marbleScheduler().run(({ expectObservable }) => {
      const run = () => 'x';
      expectObservable(runMultipleInstance([], { taskId: 't', run, concurrency: 1 }).pipe(toMIResult())).toBe(
        '(r|)',
        {
          r: expect.objectContaining({
            status: 'completed',
            reason: 'all-settled',
            values: [],
            instances: [],
          }),
        },
      );
      expectObservable(
        runMultipleInstance([], { taskId: 't', run, concurrency: 1, completion: threshold(1) }).pipe(
          toMIResult(),
        ),
      ).toBe('#', undefined, expect.any(MIFailedError));
    });
  });
});

describe('multiple-instance retries and timeouts', () => {
  it('calls run anew per attempt with ctx.attempt; an instance fails only when retries are exhausted', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const contexts: InstanceContext[] = [];
      const attempts: Record<string, Observable<string>[]> = {
        flaky: [cold('-#'), cold('--v|', { v: 'ok' })],
        broken: [cold('-#'), cold('-#'), cold('-#')],
      };
      const events = runMultipleInstance(['flaky', 'broken'], {
        taskId: 'sync',
        concurrency: 2,
        retry: { maxAttempts: 3, initialDelayMs: 2, multiplier: 2 },
        run: (name: string, ctx) => {
          contexts.push(ctx);
          return attempts[name]![ctx.attempt - 1]!;
        },
      });
      expectObservable(events.pipe(miLog(scheduler, outcomes))).toBe('---------(l|)', {
        l: [
          '0 inputClosed 2',
          '1 retrying 0 attempt 2 after 2',
          '1 retrying 1 attempt 2 after 2',
          '4 retrying 1 attempt 3 after 4',
          '6 succeeded 0=ok',
          '9 failed 1',
          '9 decided completed all-settled',
        ],
      });
      expectObservable(
        events.pipe(
          toMIResult(),
          map((r) => r.instances.map((i) => [i.status, i.attempts])),
        ),
      ).toBe('---------(r|)', {
        r: [
          ['succeeded', 2],
          ['failed', 3],
        ],
      });
      scheduler.schedule(
        () =>
          expect(contexts.map((c) => `${c.instanceId}/${c.attempt}`)).toEqual(
            expect.arrayContaining(['sync#0/1', 'sync#0/2', 'sync#1/1', 'sync#1/2', 'sync#1/3']),
          ),
        10,
      );
    });
  });

  it('a timed-out attempt is torn down and retried; timeouts count as failures', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const hang = cold('--------x|');
      const events = runMultipleInstance(['a'], {
        taskId: 't',
        concurrency: 1,
        instanceTimeoutMs: 3,
        retry: { maxAttempts: 2, initialDelayMs: 1 },
        run: () => hang,
      });
      expectObservable(events.pipe(miLog(scheduler, outcomes))).toBe('-------(l|)', {
        l: [
          '0 inputClosed 1',
          '3 retrying 0 attempt 2 after 1',
          '7 failed 0',
          '7 decided completed all-settled',
        ],
      });
      expectSubscriptions(hang.subscriptions).toBe(['^--!', '----^--!']);
    });
  });
});

describe('multiple-instance results and registry', () => {
  it("keep: 'summary' keeps counters only", () => {
    marbleScheduler().run(({ cold, expectObservable }) => {
      const result = runMultipleInstance(3, {
        taskId: 't',
        run: () => cold('-x|'),
        concurrency: 3,
        keep: 'summary',
      }).pipe(toMIResult());
      expectObservable(result).toBe('--(r|)', {
        r: expect.objectContaining({
          instances: [],
          values: [],
          counters: expect.objectContaining({ succeeded: 3 }),
        }),
      });
    });
  });

  it('values and records are in index order whatever the finishing order', () => {
    marbleScheduler().run(({ cold, expectObservable }) => {
      const durations = ['----a|', '-b|', '---c|', '--d|'];
      const result = runMultipleInstance(durations, {
        taskId: 't',
        run: (d: string) => cold(d),
        concurrency: 4,
      }).pipe(toMIResult());
      expectObservable(result.pipe(map((r) => [r.values, r.instances.map((i) => i.index)]))).toBe(
        '-----(r|)',
        {
          r: [
            ['a', 'b', 'c', 'd'],
            [0, 1, 2, 3],
          ],
        },
      );
    });
  });

  it('instanceStates() answers any instance state by index while the task runs', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const states = runMultipleInstance(['-x|', '-----y|', '---z|'], {
        taskId: 't',
        run: (marble: string) => cold(marble),
        concurrency: 2,
      }).pipe(
        instanceStates(),
        map(
          (registry) =>
            `${scheduler.now()}: ${[0, 1, 2].map((i) => registry.get(i)?.status ?? '-').join(' ')}` +
            ` [running ${registry.indexesIn('running').join(',')}]`,
        ),
        distinctUntilChanged(),
        toArray(),
      );
      expectObservable(states).toBe('------(s|)', {
        s: [
          '0: pending - - [running ]', // an array is static creation: every instance admitted at once…
          '0: pending pending - [running ]',
          '0: pending pending pending [running ]',
          '0: running pending pending [running 0]', // …then those with a slot start
          '0: running running pending [running 0,1]',
          '2: succeeded running pending [running 1]',
          '2: succeeded running running [running 1,2]',
          '6: succeeded succeeded running [running 2]',
          '6: succeeded succeeded succeeded [running ]',
        ],
      });
    });
  });

  it('static creation mode: the instances are those on hand when the task starts', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const inputs = concat(from(['a', 'b']), cold('---c|')); // a and b arrive on subscription
      const events = inputs.pipe(
        multipleInstance({ taskId: 't', run: () => cold('-x|'), concurrency: 2, creationMode: 'static' }),
      );
      expectObservable(events.pipe(miLog(scheduler, outcomes))).toBe('--(l|)', {
        l: ['0 inputClosed 2', '2 succeeded 0=x', '2 succeeded 1=x', '2 decided completed all-settled'],
      });
    });
  });
});

describe('multiple-instance configuration', () => {
  it('rejects a bad spec with a ConfigError naming every bad field, and starts nothing', () => {
    let called = false;
    const bad = {
      taskId: '',
      run: () => ((called = true), ['x']),
      concurrency: 0,
      minInstances: 5,
      maxInstances: 2,
      retry: { maxAttempts: 0, jitter: 3 },
      keep: 'everything',
    } as never;
    try {
      runMultipleInstance(3, bad);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).fields).toEqual(
        expect.arrayContaining(['taskId', 'concurrency', 'retry.maxAttempts', 'retry.jitter', 'keep']),
      );
    }
    expect(() =>
      runMultipleInstance(3, {
        taskId: 't',
        run: () => 'x',
        concurrency: 1,
        minInstances: 5,
        maxInstances: 2,
      }),
    ).toThrow(/minInstances/);
    expect(() => runMultipleInstance(-1, { taskId: 't', run: () => 'x', concurrency: 1 })).toThrow(/source/);
    expect(() =>
      runMultipleInstance(42 as unknown as string[], { taskId: 't', run: () => 'x', concurrency: 1 }),
    ).not.toThrow();
    expect(() => runMultipleInstance({} as never, { taskId: 't', run: () => 'x', concurrency: 1 })).toThrow(
      /source/,
    );
    expect(called).toBe(false);
  });

  it('fromYawlAttributes maps YAWL attributes and rejects inconsistent ones', () => {
    marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const slow = cold('-----x|');
      const tasks = [cold('-x|'), cold('--x|'), slow];
      const spec = {
        ...fromYawlAttributes({ minimum: 1, maximum: 5, threshold: 2 }),
        taskId: 'q',
        concurrency: 3,
      };
      const result = runMultipleInstance([0, 1, 2], { ...spec, run: (i: number) => tasks[i]! }).pipe(
        toMIResult(),
      );
      expectObservable(result).toBe('---(r|)', {
        r: expect.objectContaining({ reason: 'threshold', values: ['x', 'x'] }),
      });
      expectSubscriptions(slow.subscriptions).toBe('^--!');
    });
    expect(fromYawlAttributes({ minimum: 0, maximum: Infinity })).toMatchObject({ minInstances: 0 });
    expect(() => fromYawlAttributes({ minimum: 6, maximum: 5, threshold: 9 })).toThrow(/minimum/);
  });

  it("YAWL's exit rule: a threshold above the maximum or the instances given completes when all complete", () => {
    marbleScheduler().run(({ cold, expectObservable }) => {
      const tasks = [cold('-a|'), cold('---b|'), cold('--c|')];
      const spec = {
        ...fromYawlAttributes({ minimum: 1, maximum: 3, threshold: 5 }),
        taskId: 'q',
        concurrency: 3,
      };
      const result = runMultipleInstance([0, 1, 2], { ...spec, run: (i: number) => tasks[i]! }).pipe(
        toMIResult(),
      );
      // Not `unreachable` at the start: it waits for every instance, then completes (t_isExitEnabled).
      expectObservable(result).toBe('----(r|)', {
        r: expect.objectContaining({ status: 'completed', reason: 'all-settled', values: ['a', 'b', 'c'] }),
      });
    });
    marbleScheduler().run(({ cold, expectObservable }) => {
      const spec = {
        ...fromYawlAttributes({ minimum: 1, maximum: 10, threshold: 4 }),
        taskId: 'q',
        concurrency: 2,
      };
      const result = runMultipleInstance(['x', 'y'], { ...spec, run: () => cold('-v|') }).pipe(toMIResult());
      expectObservable(result).toBe('--(r|)', {
        r: expect.objectContaining({ status: 'completed', reason: 'all-settled' }),
      });
    });
  });
});
