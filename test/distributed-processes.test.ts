import { type ChildProcess, spawn } from 'node:child_process';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import {
  defer,
  firstValueFrom,
  from,
  lastValueFrom,
  type Observable,
  Subject,
  tap,
  timer,
  concatMap,
  map,
  toArray,
} from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allSettled,
  allSucceed,
  type InstanceContext,
  type MIEvent,
  runMultipleInstance,
  threshold,
  toleratedFailures,
  toMIResult,
  when,
} from 'rxdaemon';
import { calc, type CalcInput } from './fixtures/calc.js';
import { createBullTransport, type RunningWorker, startWorker } from 'rxdaemon/bullmq';
import { sleep } from './support.js';
import { startRedis, type TestRedis } from './support/redis.js';

const root = new URL('..', import.meta.url).pathname;
let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedis();
}, 300_000);

afterAll(async () => {
  await redis?.stop();
});

/** `rxdaemon worker` as a child process; resolves once it says it is working. */
async function startWorkerProcess(
  queue: string,
  extra: readonly string[] = [],
): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=rxdaemon-source',
      'src/cli/main.ts',
      'worker',
      'test/fixtures/quote-worker.ts',
      '--redis',
      `redis://${redis.host}:${redis.port}`,
      '--queue',
      queue,
      '--concurrency',
      '50',
      '--drain-ms',
      '2000',
      ...extra,
    ],
    { cwd: root, env: { ...process.env, TEST_REDIS_PORT: String(redis.port) } },
  );
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('worker: ')) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    void exited.then((code) => reject(new Error(`worker exited (${code}) before starting:\n${output}`)));
  });
  return { child, exited };
}

describe('worker processes (rxdaemon worker) over a real Redis', () => {
  it('a threshold over 2,000 instances on 2 worker processes: after the decision no job of the task is left, every running handler aborted, SIGTERM exits 0', async () => {
    const queue = 'processes';
    const workers = [await startWorkerProcess(queue), await startWorkerProcess(queue)];
    const connection = { host: redis.host, port: redis.port };
    const transport = createBullTransport({ connection, queue });
    const counters = new Redis({ ...connection, maxRetriesPerRequest: null });
    const inspect = new Queue(queue, { connection });
    try {
      // 50 long instances first, started with the first wave; the threshold comes from short ones after.
      const inputs = Array.from({ length: 2000 }, (_, i) => (i < 50 ? 60_000 : 200));
      const result = await firstValueFrom(
        runMultipleInstance(inputs, {
          taskId: 'quotes',
          caseId: 'big',
          concurrency: 100,
          completion: threshold(100),
          keep: 'summary',
          run: transport.task<number, number>('quote'),
        }).pipe(toMIResult()),
      );
      expect(result).toMatchObject({ status: 'completed', reason: 'threshold' });
      let left = -1;
      let aborted = 0;
      let unfinished = -1;
      for (let i = 0; i < 100; i++) {
        const counts = await inspect.getJobCounts('waiting', 'delayed', 'active');
        left = counts.waiting! + counts.delayed! + counts.active!;
        const [started, finished, abortedNow] = (
          await counters.mget('test:started', 'test:finished', 'test:aborted')
        ).map((v) => Number(v ?? 0));
        aborted = abortedNow!;
        unfinished = started! - finished! - aborted;
        if (left === 0 && unfinished === 0) break;
        await sleep(10, null);
      }
      expect(left).toBe(0);
      expect(unfinished).toBe(0); // every handler that was running when the task decided saw its signal abort
      expect(aborted).toBeGreaterThan(0);
    } finally {
      await transport.close();
      await inspect.close();
      counters.disconnect();
      for (const { child } of workers) child.kill('SIGTERM');
    }
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
  }, 120_000);

  it('a worker killed mid-job loses its lock and the job runs again on another worker (stalled-job recovery)', async () => {
    const queue = 'stalled';
    const connection = { host: redis.host, port: redis.port };
    const counters = new Redis({ ...connection, maxRetriesPerRequest: null });
    const doomed = await startWorkerProcess(queue, ['--lock-ms', '1000']);
    const transport = createBullTransport({ connection, queue });
    let rescuer: RunningWorker | undefined;
    try {
      const result = firstValueFrom(
        transport.task<number, number>('slow')(3000, { caseId: 'c', taskId: 's', index: 0 }),
      );
      for (let i = 0; i < 200 && Number(await counters.get('test:slow-started')) < 1; i++)
        await sleep(10, null);
      doomed.child.kill('SIGKILL');
      await doomed.exited;
      rescuer = startWorker({
        connection,
        queue,
        lockDurationMs: 1000,
        handlers: { slow: (ms: number) => ms + 1 },
      });
      expect(await result).toBe(3001); // run again by the rescuer, not lost with the dead worker
    } finally {
      await transport.close();
      await rescuer?.close();
      counters.disconnect();
    }
  }, 60_000);

  it('SIGTERM stops a worker within its drain and a short grace even when a handler ignores its signal', async () => {
    const queue = 'stubborn';
    const connection = { host: redis.host, port: redis.port };
    const counters = new Redis({ ...connection, maxRetriesPerRequest: null });
    const worker = await startWorkerProcess(queue);
    const transport = createBullTransport({ connection, queue });
    try {
      const subscription = transport
        .task('stubborn')(null, { caseId: 'c', taskId: 'stubborn', index: 0 })
        .subscribe({
          error: () => undefined,
        });
      for (let i = 0; i < 200 && Number(await counters.get('test:stubborn-started')) < 1; i++)
        await sleep(10, null);
      worker.child.kill('SIGTERM'); // --drain-ms 2000, then a 1 s grace
      const exit = await Promise.race([worker.exited, sleep(15_000, 'still running')]);
      expect(exit).toBe(0);
      subscription.unsubscribe();
    } finally {
      worker.child.kill('SIGKILL');
      await transport.close();
      counters.disconnect();
    }
  }, 60_000);

  it('the MI patterns (WCP-12…36, thresholds, first failure, tolerance, detach, cancel one, force-complete, abort) give the same results on 2 worker processes as locally', async () => {
    const queue = 'patterns';
    const workers = [await startWorkerProcess(queue), await startWorkerProcess(queue)];
    const transport = createBullTransport({ connection: { host: redis.host, port: redis.port }, queue });
    try {
      const remote = transport.task<CalcInput, number>('calc');
      for (const [name, scenario] of Object.entries(patterns)) {
        const caseId = name.replace(/\W+/g, '-');
        const local = await outcomeOf(scenario(calc, caseId));
        const distributed = await outcomeOf(scenario(remote, caseId));
        expect(local.status, name).toBeDefined();
        expect(distributed, name).toEqual(local);
      }
    } finally {
      await transport.close();
      for (const { child } of workers) child.kill('SIGTERM');
    }
    expect(await Promise.all(workers.map((w) => w.exited))).toEqual([0, 0]);
  }, 120_000);

  it('kill -9 a worker process while it runs instances: the MI task still decides, every index settled once', async () => {
    const queue = 'killed-mid-task';
    const lock = ['--lock-ms', '1000'];
    const workers = [await startWorkerProcess(queue, lock), await startWorkerProcess(queue, lock)];
    const transport = createBullTransport({ connection: { host: redis.host, port: redis.port }, queue });
    const inputs = Array.from({ length: 60 }, (_, n) => ({ n, ms: 400 }));
    try {
      let started = 0;
      const result = await firstValueFrom(
        runMultipleInstance(inputs, {
          taskId: 'calc',
          caseId: 'kill-9',
          concurrency: 20,
          run: transport.task<CalcInput, number>('calc'),
        }).pipe(
          tap((e) => {
            if (e.type === 'started' && ++started === 30) workers[0]!.child.kill('SIGKILL');
          }),
          toMIResult(),
        ),
      );
      expect(await workers[0]!.exited).not.toBe(0);
      expect(result.status).toBe('completed');
      expect(result.instances.map((r) => [r.index, r.status])).toEqual(
        inputs.map(({ n }) => [n, 'succeeded']),
      );
      expect(result.values).toEqual(inputs.map(({ n }) => n * 2));
    } finally {
      await transport.close();
      for (const { child } of workers) child.kill('SIGTERM');
    }
  }, 120_000);
});

type CalcRun = (input: CalcInput, context: InstanceContext) => Promise<number> | Observable<number>;
type Scenario = (run: CalcRun, caseId: string) => Observable<MIEvent<CalcInput, number>>;

// Timings far apart where the order of outcomes decides the result, so the wire's jitter cannot.
const quick = (n: number, fail = false): CalcInput => ({ n, ms: 20 + (n % 3) * 10, fail });
const long = (n: number): CalcInput => ({ n, ms: 60_000 });

/** A control stream that emits once the task has had `count` successes. */
function afterSuccesses<T>(count: number, value: T) {
  const control = new Subject<T>();
  let succeeded = 0;
  const watch = tap((e: MIEvent<CalcInput, number>) => {
    if (e.type === 'succeeded' && ++succeeded === count) control.next(value);
  });
  return { control: control.asObservable(), watch };
}

/** The patterns, each run the same way with a local or a remote `run`: only the run differs. */
const patterns: Record<string, Scenario> = {
  'WCP-12 without synchronisation (detached)': (run, caseId) =>
    runMultipleInstance([quick(0), quick(1), quick(2)], {
      taskId: 'calc',
      caseId,
      run,
      concurrency: 3,
      completion: when((c) => c.inputClosed),
      remaining: 'detach',
    }),
  'WCP-13/14 all settled, failures included': (run, caseId) =>
    runMultipleInstance(
      [0, 1, 2, 3, 4, 5].map((n) => quick(n, n === 3)),
      {
        taskId: 'calc',
        caseId,
        run,
        concurrency: 4,
        completion: allSettled(),
      },
    ),
  'WCP-15 instances added while running': (run, caseId) =>
    runMultipleInstance(from([0, 1, 2, 3]).pipe(concatMap((n) => timer(15).pipe(map(() => quick(n))))), {
      taskId: 'calc',
      caseId,
      run,
      concurrency: 2,
      creationMode: 'dynamic',
    }),
  'first failure cancels the rest': (run, caseId) =>
    runMultipleInstance([quick(0), quick(1), { n: 2, ms: 250, fail: true }, long(3), long(4)], {
      taskId: 'calc',
      caseId,
      run,
      concurrency: 5,
      completion: allSucceed(),
    }),
  'WCP-35 threshold cancels the rest': (run, caseId) =>
    runMultipleInstance([quick(0), quick(1), quick(2), long(3), long(4)], {
      taskId: 'calc',
      caseId,
      run,
      concurrency: 5,
      completion: threshold(3),
    }),
  'WCP-34 threshold, the rest detached': (run, caseId) =>
    runMultipleInstance([quick(0), quick(1), { n: 2, ms: 300 }, { n: 3, ms: 400 }], {
      taskId: 'calc',
      caseId,
      run,
      concurrency: 4,
      completion: threshold(2),
      remaining: 'detach',
    }),
  'tolerated failures': (run, caseId) =>
    runMultipleInstance(
      [0, 1, 2, 3, 4, 5].map((n) => quick(n, n === 1 || n === 4)),
      {
        taskId: 'calc',
        caseId,
        run,
        concurrency: 1,
        completion: toleratedFailures({ count: 1 }),
      },
    ),
  'WCP-36 a predicate': (run, caseId) =>
    runMultipleInstance(
      [0, 1, 2, 3, 4, 5, 6].map((n) => quick(n, n === 2)),
      {
        taskId: 'calc',
        caseId,
        run,
        concurrency: 1,
        completion: when((c) => c.succeeded >= 4),
      },
    ),
  'WCP-19 cancel one instance': (run, caseId) =>
    defer(() => {
      const { control, watch } = afterSuccesses(3, 3);
      return runMultipleInstance([quick(0), quick(1), quick(2), long(3), quick(4)], {
        taskId: 'calc',
        caseId,
        run,
        concurrency: 4,
        cancel: control,
      }).pipe(watch);
    }),
  'WCP-26 abort': (run, caseId) =>
    defer(() => {
      const { control, watch } = afterSuccesses(2, 'abort');
      return runMultipleInstance([quick(0), quick(1), long(2), long(3), { n: 4, ms: 500 }], {
        taskId: 'calc',
        caseId,
        run,
        concurrency: 4,
        abort: control,
      }).pipe(watch);
    }),
  'WCP-27 force-complete': (run, caseId) =>
    defer(() => {
      const { control, watch } = afterSuccesses(2, 'now');
      return runMultipleInstance([quick(0), quick(1), long(2), long(3)], {
        taskId: 'calc',
        caseId,
        run,
        concurrency: 4,
        complete: control,
      }).pipe(watch);
    }),
};

/** What must be equal: the decision, the values and each index's status, and detached outcomes. */
async function outcomeOf(events: Observable<MIEvent<CalcInput, number>>) {
  const all = await lastValueFrom(events.pipe(toArray()));
  const decided = all.find((e) => e.type === 'decided');
  if (decided?.type !== 'decided') throw new Error('no decision');
  const { status, reason, values, instances } = decided.result;
  const late = all.flatMap((e) => (e.type === 'late' ? [[e.index, e.outcome, e.value] as const] : []));
  return {
    status,
    reason,
    values,
    statuses: instances.map((r) => r.status),
    late: late.sort((a, b) => a[0] - b[0]),
  };
}
