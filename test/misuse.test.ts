import {
  BehaviorSubject,
  firstValueFrom,
  from,
  last,
  lastValueFrom,
  type Observable,
  of,
  Subject,
} from 'rxjs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  allSettled,
  allSucceed,
  ConfigError,
  createReceiptLog,
  type InstanceContext,
  InjectionError,
  instanceStates,
  latencyStats,
  type MIEvent,
  runMultipleInstance,
  type TaskContext,
  threshold,
  toMIResult,
  when,
  workerPool,
} from 'rxdaemon';
import { failOnUnhandledRejections, sleep } from './support.js';

failOnUnhandledRejections();

/** Fails the test if anything reaches Node's uncaught-exception handler meanwhile. */
async function withoutUncaught<T>(work: () => Promise<T>): Promise<T> {
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => void uncaught.push(error);
  process.on('uncaughtException', onUncaught);
  try {
    const result = await work();
    await sleep(20, null);
    expect(uncaught).toEqual([]);
    return result;
  } finally {
    process.off('uncaughtException', onUncaught);
  }
}

describe('contexts are objects of their own fields: a spread keeps a live signal', () => {
  it('workerPool', async () => {
    const contexts: TaskContext[] = [];
    await lastValueFrom(
      of('a').pipe(
        workerPool((_x: string, context) => (contexts.push({ ...context }), 1), { concurrency: 1 }),
      ),
    );
    expect(Object.keys(contexts[0]!).sort()).toEqual(['index', 'signal']);
    expect(contexts[0]!.signal).toBeInstanceOf(AbortSignal);
  });

  it('MI, with and without retries: taskId, caseId, index, instanceId, attempt, signal', async () => {
    for (const retry of [undefined, { maxAttempts: 2 }]) {
      const seen: InstanceContext[] = [];
      await lastValueFrom(
        runMultipleInstance(['x'], {
          taskId: 'quotes',
          caseId: 'case-1',
          concurrency: 1,
          ...(retry ? { retry } : {}),
          run: (_input, context) => {
            const copy = { ...context };
            seen.push(copy);
            return sleep(5, copy.signal.aborted ? 'aborted' : 'live', copy.signal);
          },
        }),
      );
      expect(seen[0]).toMatchObject({
        taskId: 'quotes',
        caseId: 'case-1',
        index: 0,
        instanceId: 'quotes#0',
        attempt: 1,
      });
      expect(seen[0]!.signal).toBeInstanceOf(AbortSignal);
    }
  });

  it('a spread signal is the one aborted when a threshold cancels the instance', async () => {
    const signals: AbortSignal[] = [];
    const result = await firstValueFrom(
      runMultipleInstance([1, 50], {
        taskId: 't',
        concurrency: 2,
        completion: threshold(1),
        run: (ms, context) => {
          const { signal } = { ...context };
          signals.push(signal);
          return sleep(ms, ms, signal);
        },
      }).pipe(toMIResult()),
    );
    expect(result.values).toEqual([1]);
    expect(signals.map((s) => s.aborted)).toEqual([false, true]);
  });
});

describe('every user callback is guarded (principle 9)', () => {
  it('a rule whose predicate throws errors the MI stream: no hang, nothing uncaught', async () => {
    const boom = new Error('predicate broke');
    await withoutUncaught(async () => {
      const outcome = await lastValueFrom(
        runMultipleInstance(3, {
          taskId: 't',
          concurrency: 2,
          completion: when(() => {
            throw boom;
          }),
          run: (i) => sleep(2, i),
        }),
      ).catch((error: unknown) => error);
      expect(outcome).toBe(boom);
    });
  });

  it('a throwing iterator next() errors the stream; a throwing return() on cancel is contained', async () => {
    const broken: Iterable<number> = {
      [Symbol.iterator]: () => ({
        next: () => {
          throw new Error('next broke');
        },
      }),
    };
    await expect(
      lastValueFrom(runMultipleInstance(broken, { taskId: 't', concurrency: 1, run: (i) => i })),
    ).rejects.toThrow('next broke');
    let given = 0;
    const endless: Iterable<number> = {
      [Symbol.iterator]: () => ({
        next: () => ({ done: false, value: given++ }),
        return: () => {
          throw new Error('return broke');
        },
      }),
    };
    await withoutUncaught(async () => {
      const result = await firstValueFrom(
        runMultipleInstance(endless, {
          taskId: 't',
          concurrency: 2,
          completion: threshold(3),
          run: (i) => sleep(1, i),
        }).pipe(toMIResult()),
      );
      expect(result.values).toHaveLength(3);
    });
  });

  it('a retryIf that throws fails the instance with that error', async () => {
    const result = await firstValueFrom(
      runMultipleInstance(1, {
        taskId: 't',
        concurrency: 1,
        retry: {
          maxAttempts: 3,
          initialDelayMs: 1,
          retryIf: () => {
            throw new Error('retryIf broke');
          },
        },
        run: () => Promise.reject(new Error('task failed')),
      }).pipe(toMIResult()),
    ).catch((error: { result: { instances: { error: Error }[] } }) => error.result);
    expect(result.instances[0]!.error).toEqual(new Error('retryIf broke'));
  });

  it('a random() outside [0, 1) fails the instance with a ConfigError instead of never retrying', async () => {
    for (const bad of [Number.NaN, Infinity, 2]) {
      const result = await firstValueFrom(
        runMultipleInstance(1, {
          taskId: 't',
          concurrency: 1,
          random: () => bad,
          retry: { maxAttempts: 3, initialDelayMs: 1, jitter: 'full' },
          run: () => Promise.reject(new Error('task failed')),
        }).pipe(toMIResult()),
      );
      expect(result.instances[0]!.status).toBe('failed');
      expect(result.instances[0]!.error).toBeInstanceOf(ConfigError);
    }
  });
});

describe('operators fed values of the wrong kind error their stream, naming them (nothing uncaught)', () => {
  const cases: [string, Observable<unknown>, RegExp][] = [
    ['toMIResult', of(null).pipe(toMIResult() as never), /toMIResult: expected MI events .*got null/],
    ['instanceStates', of(42).pipe(instanceStates() as never), /instanceStates: expected MI events .*got 42/],
    [
      'latencyStats',
      of(3, 'slow').pipe(latencyStats() as never),
      /latencyStats: latencies must be numbers ≥ 0, got string/,
    ],
    ['latencyStats', of(Number.NaN).pipe(latencyStats() as never), /got NaN/],
  ];
  for (const [name, stream, reason] of cases) {
    it(`${name}: ${String(reason)}`, async () => {
      const outcome = await withoutUncaught(() => lastValueFrom(stream).catch((error: unknown) => error));
      expect(outcome).toBeInstanceOf(TypeError);
      expect((outcome as Error).message).toMatch(reason);
    });
  }
});

describe('an MI task id or case id that is not a safe identifier is refused, nothing started (DESIGN §1.4)', () => {
  for (const ids of [{ taskId: "x'; DROP TABLE tasks; --" }, { taskId: 'ok', caseId: '../../etc/passwd' }]) {
    it(JSON.stringify(ids), () => {
      let runs = 0;
      expect(() => runMultipleInstance(3, { ...ids, concurrency: 2, run: () => ++runs }).subscribe()).toThrow(
        InjectionError,
      );
      expect(runs).toBe(0);
    });
  }
});

describe('MI concurrency streams are validated', () => {
  for (const bad of [-3, Number.NaN, 0.5, 0]) {
    it(`a concurrency stream emitting ${bad} errors with a ConfigError, not a silent stall`, async () => {
      const outcome = await lastValueFrom(
        runMultipleInstance(3, { taskId: 't', concurrency: new BehaviorSubject(bad), run: (i) => i }),
      ).catch((error: unknown) => error);
      expect(outcome).toBeInstanceOf(ConfigError);
      expect((outcome as ConfigError).message).toContain(`got ${bad}`);
    });
  }
});

describe('a task may return a plain value, a Promise or an Observable', () => {
  it('strings and arrays are plain values; an Observable gives its last value', async () => {
    const run = (input: number): unknown =>
      [() => 'hello', () => [1, 2], () => 7, () => Promise.resolve('p'), () => from(['a', 'b']), () => null][
        input
      ]!();
    const result = await firstValueFrom(
      runMultipleInstance(6, { taskId: 't', concurrency: 6, run }).pipe(toMIResult()),
    );
    expect(result.values).toEqual(['hello', [1, 2], 7, 'p', 'b', null]);
  });

  it('with retries and a timeout too', async () => {
    const result = await firstValueFrom(
      runMultipleInstance(['hello'], {
        taskId: 't',
        concurrency: 1,
        instanceTimeoutMs: 1000,
        retry: { maxAttempts: 2 },
        run: (word) => word,
      }).pipe(toMIResult()),
    );
    expect(result.values).toEqual(['hello']);
  });
});

describe('cancelling one instance (WCP-19) at the edges', () => {
  it('from inside its own started event: reported once, never more than concurrency running, the task ends', async () => {
    const cancel = new Subject<number>();
    let running = 0;
    let most = 0;
    const events: MIEvent<number, number>[] = [];
    const source = runMultipleInstance(6, {
      taskId: 't',
      concurrency: 2,
      cancel,
      run: async (i) => {
        most = Math.max(most, ++running);
        await sleep(3, null);
        running--;
        return i;
      },
    });
    await new Promise<void>((resolve, reject) =>
      source.subscribe({
        next: (event) => {
          events.push(event);
          if (event.type === 'started' && event.index % 2 === 0) cancel.next(event.index);
        },
        error: reject,
        complete: resolve,
      }),
    );
    const terminal = events.filter(
      (e) => e.type === 'succeeded' || e.type === 'failed' || e.type === 'cancelled',
    );
    expect(terminal.map((e) => `${e.index} ${e.type}`).sort()).toEqual([
      '0 cancelled',
      '1 succeeded',
      '2 cancelled',
      '3 succeeded',
      '4 cancelled',
      '5 succeeded',
    ]);
    expect(most).toBeLessThanOrEqual(2);
    expect(events.at(-1)).toMatchObject({ type: 'decided', status: 'completed' });
  });

  it('an index not admitted yet is cancelled on admission', async () => {
    const inputs = new Subject<string>();
    const cancel = new Subject<number>();
    const result = lastValueFrom(
      inputs.pipe(
        (source) => source,
        (source) =>
          runMultipleInstance(source, {
            taskId: 't',
            concurrency: 4,
            cancel,
            completion: allSettled(),
            run: (x) => sleep(2, x),
          }),
        toMIResult(),
      ),
    );
    cancel.next(1);
    inputs.next('a');
    inputs.next('b');
    inputs.next('c');
    inputs.complete();
    const { instances, values } = await result;
    expect(instances.map((r) => r.status)).toEqual(['succeeded', 'cancelled', 'succeeded']);
    expect(values).toEqual(['a', 'c']);
  });
});

describe('a source of known length is admitted at the start (static creation)', () => {
  it('an index cancelled before the array is admitted is withdrawn on admission', async () => {
    const result = await firstValueFrom(
      runMultipleInstance(['a', 'b', 'c'], {
        taskId: 't',
        concurrency: 1,
        cancel: of(1),
        run: (x) => sleep(1, x),
      }).pipe(toMIResult()),
    );
    expect(result.instances.map((r) => r.status)).toEqual(['succeeded', 'cancelled', 'succeeded']);
  });

  it('an input never run because the task decided first is in the result as cancelled', async () => {
    const result = await firstValueFrom(
      runMultipleInstance(['a', 'b', 'c', 'd'], {
        taskId: 't',
        concurrency: 1,
        completion: threshold(1),
        run: (x) => sleep(1, x),
      }).pipe(toMIResult()),
    );
    expect(result.instances.map((r) => r.status)).toEqual([
      'succeeded',
      'cancelled',
      'cancelled',
      'cancelled',
    ]);
    expect(result.counters).toMatchObject({ admitted: 4, succeeded: 1, cancelled: 3 });
  });
});

describe('receipt failures in an MI task are contained; the decision stands', () => {
  it('a cause String() cannot convert is recorded; a log whose append throws marks the decision', async () => {
    const log = createReceiptLog();
    const strange = Object.create(null) as object;
    const failed = await firstValueFrom(
      runMultipleInstance(1, {
        taskId: 't',
        concurrency: 1,
        completion: allSucceed(),
        receipts: log,
        run: () => Promise.reject(strange),
      }).pipe(last()),
    );
    expect(failed).toMatchObject({ type: 'decided', status: 'failed', reason: 'first-failure' });
    expect(log.size).toBe(1);
    const broken = {
      append: () => {
        throw new Error('disk full');
      },
    } as unknown as ReturnType<typeof createReceiptLog>;
    const decided = await firstValueFrom(
      runMultipleInstance(2, { taskId: 't', concurrency: 2, receipts: broken, run: (i) => i }).pipe(last()),
    );
    expect(decided).toMatchObject({
      type: 'decided',
      status: 'completed',
      receiptError: new Error('disk full'),
    });
  });
});

describe('types say what a task may return', () => {
  it('a plain value, a Promise or an Observable: the result type is the value', () => {
    expectTypeOf(runMultipleInstance(1, { taskId: 't', concurrency: 1, run: () => 'hello' })).toEqualTypeOf<
      Observable<MIEvent<number, string>>
    >();
    expectTypeOf(runMultipleInstance(1, { taskId: 't', concurrency: 1, run: async () => 42 })).toEqualTypeOf<
      Observable<MIEvent<number, number>>
    >();
    expectTypeOf(runMultipleInstance(1, { taskId: 't', concurrency: 1, run: () => of(true) })).toEqualTypeOf<
      Observable<MIEvent<number, boolean>>
    >();
    expectTypeOf(runMultipleInstance(1, { taskId: 't', concurrency: 1, run: () => [1, 2] })).toEqualTypeOf<
      Observable<MIEvent<number, number[]>>
    >();
  });
});
