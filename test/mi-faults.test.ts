import { EMPTY, firstValueFrom, lastValueFrom, of, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  EmptyResultError,
  type MIEvent,
  runMultipleInstance,
  threshold,
  TimeoutError,
  toMIResult,
} from 'rxdaemon';
import { failOnUnhandledRejections, sleep } from './support.js';

failOnUnhandledRejections();

const errorOf = async (run: () => unknown): Promise<unknown> => {
  const result = await lastValueFrom(
    runMultipleInstance(['x'], { taskId: 'fault', concurrency: 1, run: run as never }).pipe(toMIResult()),
  );
  return result.instances[0]?.status === 'failed' ? result.instances[0].error : result.instances[0]?.value;
};

describe('MI faults with real promises', () => {
  it('a synchronous throw fails the instance, not the task', async () => {
    expect(
      await errorOf(() => {
        throw new Error('sync');
      }),
    ).toEqual(new Error('sync'));
  });

  it('a rejection fails the instance', async () => {
    expect(await errorOf(() => Promise.reject(new Error('rejected')))).toEqual(new Error('rejected'));
  });

  it('a hang is ended by the timeout, its signal aborted, and retried', async () => {
    const signals: AbortSignal[] = [];
    const result = await lastValueFrom(
      runMultipleInstance(['x'], {
        taskId: 'hang',
        concurrency: 1,
        instanceTimeoutMs: 20,
        retry: { maxAttempts: 2, initialDelayMs: 5 },
        run: (_: string, { signal }) => {
          signals.push(signal);
          return new Promise<never>(() => undefined); // never settles, ignores its signal
        },
      }).pipe(toMIResult()),
    );
    expect(result.instances[0]).toMatchObject({ status: 'failed', attempts: 2 });
    expect(result.instances[0]?.error).toBeInstanceOf(TimeoutError);
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
    expect(signals[0]?.reason).toBeInstanceOf(CancelledError);
  });

  it('a task that ignores its signal and settles after its cancellation changes nothing', async () => {
    let settledLate = false;
    const events = await lastValueFrom(
      runMultipleInstance([5, 60], {
        taskId: 'ignore',
        concurrency: 2,
        completion: threshold(1),
        run: (ms: number) => sleep(ms, ms).then((v) => ((settledLate = ms === 60), v)),
      }).pipe(toArray()),
    );
    await sleep(80, null);
    expect(settledLate).toBe(true);
    expect(events.map((e) => e.type)).toEqual(expect.not.arrayContaining(['late']));
    expect(events.filter((e) => e.type === 'succeeded')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ type: 'decided', result: { values: [5] } });
  });

  it('an Observable task that emits many values succeeds with the last; one that emits none fails', async () => {
    expect(await errorOf(() => of(1, 2, 3))).toBe(3);
    expect(await errorOf(() => EMPTY)).toBeInstanceOf(EmptyResultError);
  });

  it('a cancelled attempt that rejects later raises no unhandled rejection', async () => {
    await lastValueFrom(
      runMultipleInstance([5, 30], {
        taskId: 'late-reject',
        concurrency: 2,
        completion: threshold(1),
        run: (ms: number) =>
          ms === 5 ? sleep(ms, ms) : sleep(ms, ms).then(() => Promise.reject(new Error('late'))),
      }),
    );
    await sleep(50, null);
  });
});

describe('MI lazy sources', () => {
  it('pulls an async iterable only when a slot is free, and closes it when the task decides', async () => {
    let pulled = 0;
    let running = 0;
    let maxAhead = 0;
    let closed = false;
    async function* inputs(): AsyncGenerator<number> {
      try {
        for (let i = 0; i < 1_000_000; i++) {
          pulled++;
          maxAhead = Math.max(maxAhead, pulled - finished - running);
          yield i;
        }
      } finally {
        closed = true;
      }
    }
    let finished = 0;
    const result = await firstValueFrom(
      runMultipleInstance(inputs(), {
        taskId: 'lazy',
        concurrency: 4,
        completion: threshold(50),
        keep: 'summary',
        run: async (i: number) => {
          running++;
          await sleep(1, i);
          running--;
          finished++;
          return i;
        },
      }).pipe(toMIResult()),
    );
    expect(result.counters.succeeded).toBe(50);
    expect(pulled).toBeLessThanOrEqual(50 + 4 + 1);
    expect(maxAhead).toBeLessThanOrEqual(1);
    await sleep(5, null);
    expect(closed).toBe(true);
  });

  it('a failing iterator errors the stream and tears down what runs', async () => {
    function* inputs(): Generator<number> {
      yield 1;
      throw new Error('source broke');
    }
    const signals: AbortSignal[] = [];
    const events: MIEvent<number, number>[] = [];
    await expect(
      lastValueFrom(
        runMultipleInstance(inputs(), {
          taskId: 'broken-source',
          concurrency: 2,
          run: (i: number, { signal }) => (signals.push(signal), sleep(50, i, signal)),
        }),
        { defaultValue: undefined },
      ).then(() => events),
    ).rejects.toThrow('source broke');
    expect(signals[0]?.aborted).toBe(true);
  });
});

describe('MI lazy sources after a detach decision', () => {
  it('an async pull that resolves after the decision is refused, never started', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    async function* inputs(): AsyncGenerator<number> {
      yield 0; // fast: its success decides
      yield 1; // slow: still running at the decision, so it runs on detached
      await gate; // the third input arrives only after the decision
      yield 2;
    }
    const started: number[] = [];
    const events = await lastValueFrom(
      runMultipleInstance(inputs(), {
        taskId: 'late-pull',
        concurrency: 3,
        completion: threshold(1),
        remaining: 'detach',
        run: (i: number) => {
          started.push(i);
          const done = sleep(i === 1 ? 60 : 10, i);
          if (i === 0) void done.then(() => setTimeout(release, 5)); // 5 ms after the decision
          return done;
        },
      }).pipe(toArray()),
    );
    expect(started).toEqual([0, 1]);
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['decided', 'late', 'refused']));
    expect(events.find((e) => e.type === 'refused')).toMatchObject({ input: 2, reason: 'decided' });
  });
});
