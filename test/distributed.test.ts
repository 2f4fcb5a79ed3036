import { Queue } from 'bullmq';
import { firstValueFrom, lastValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allSettled,
  allSucceed,
  createDaemon,
  type MIResult,
  runMultipleInstance,
  threshold,
  toleratedFailures,
  toMIResult,
  when,
} from 'rxdaemon';
import {
  ConnectionLostError,
  createBullTransport,
  RemoteTaskError,
  type RunningWorker,
  startWorker,
  UnknownHandlerError,
} from 'rxdaemon/bullmq';
import { sleep } from './support.js';
import { startRedis, type TestRedis } from './support/redis.js';

let redis: TestRedis;
let queueNumber = 0;

beforeAll(async () => {
  redis = await startRedis();
}, 300_000);

afterAll(async () => {
  await redis?.stop();
});

/** A queue of the test's own, two workers on it, and a transport; all closed afterwards. */
async function withCluster<T>(
  handlers: Parameters<typeof startWorker>[0]['handlers'],
  body: (transport: ReturnType<typeof createBullTransport>, queue: string) => Promise<T>,
): Promise<T> {
  const queue = `test-${++queueNumber}`;
  const connection = { host: redis.host, port: redis.port };
  const workers: RunningWorker[] = [1, 2].map(() =>
    startWorker({ connection, queue, handlers, concurrency: 4 }),
  );
  const transport = createBullTransport({ connection, queue });
  try {
    return await body(transport, queue);
  } finally {
    await transport.close();
    await Promise.all(workers.map((w) => w.close()));
  }
}

describe('a remote task is just a task (BullMQ over a real Redis)', () => {
  it('a threshold MI task decides on two workers; the instances past it are cancelled on their worker', async () => {
    const aborted: number[] = [];
    await withCluster(
      {
        quote: (ms: number, { signal }) =>
          new Promise((resolve, reject) => {
            let done = false; // a job that finished may still see an abort before BullMQ records it
            const timer = setTimeout(() => ((done = true), resolve(ms)), ms);
            signal.addEventListener('abort', () => {
              if (done) return;
              clearTimeout(timer);
              aborted.push(ms);
              reject(new Error('aborted'));
            });
          }),
      },
      async (transport, queue) => {
        const result = await firstValueFrom(
          runMultipleInstance([20, 30, 40, 5000, 6000], {
            taskId: 'quotes',
            caseId: 'order-1',
            concurrency: 5,
            completion: threshold(3),
            run: transport.task<number, number>('quote'),
          }).pipe(toMIResult()),
        );
        expect(result.values).toEqual([20, 30, 40]);
        expect(result.instances.map((r) => r.status)).toEqual([
          'succeeded',
          'succeeded',
          'succeeded',
          'cancelled',
          'cancelled',
        ]);
        const inspect = new Queue(queue, { connection: { host: redis.host, port: redis.port } });
        try {
          for (let i = 0; i < 100 && aborted.length < 2; i++) await sleep(10, null);
          expect(aborted.sort((a, b) => a - b)).toEqual([5000, 6000]);
          const counts = await inspect.getJobCounts('waiting', 'delayed', 'active');
          expect(counts).toEqual({ waiting: 0, delayed: 0, active: 0 });
        } finally {
          await inspect.close();
        }
      },
    );
  });

  it('a remote failure comes back as a failed instance with the remote name, message and code', async () => {
    await withCluster(
      {
        flaky: (n: number) => {
          if (n === 1) throw Object.assign(new RangeError('one is bad'), { code: 'BAD_ONE' });
          return n * 10;
        },
      },
      async (transport) => {
        const result = await firstValueFrom(
          runMultipleInstance([0, 1, 2], {
            taskId: 'mixed',
            caseId: 'c',
            concurrency: 3,
            completion: allSettled(),
            run: transport.task<number, number>('flaky'),
          }).pipe(toMIResult()),
        );
        expect(result.values).toEqual([0, 20]);
        const error = result.instances[1]!.error as RemoteTaskError;
        expect(error).toBeInstanceOf(RemoteTaskError);
        expect({ name: error.name, message: error.message, code: error.code }).toEqual({
          name: 'RangeError',
          message: 'one is bad',
          code: 'BAD_ONE',
        });
      },
    );
  });

  it('the same MI task run again with the same caseId resumes: finished instances are not run again', async () => {
    let calls = 0;
    await withCluster(
      {
        square: (n: number) => {
          calls++;
          return n * n;
        },
      },
      async (transport) => {
        const spec = {
          taskId: 'squares',
          caseId: 'resume-1',
          concurrency: 4,
          run: transport.task<number, number>('square'),
        };
        const first = await firstValueFrom(runMultipleInstance([1, 2, 3, 4], spec).pipe(toMIResult()));
        const second = await firstValueFrom(runMultipleInstance([1, 2, 3, 4], spec).pipe(toMIResult()));
        expect(first.values).toEqual([1, 4, 9, 16]);
        expect(second.values).toEqual(first.values);
        expect(calls).toBe(4);
      },
    );
  });

  it('a task no worker has a handler for fails with UNKNOWN_HANDLER, not a hang', async () => {
    await withCluster({}, async (transport) => {
      const error = await lastValueFrom(
        transport.task<number, number>('missing')(1, { taskId: 't', index: 0 }),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RemoteTaskError);
      expect((error as RemoteTaskError).code).toBe(new UnknownHandlerError('x').code);
    });
  });

  it('an unreachable Redis fails the task with ConnectionLostError within the bound', async () => {
    const transport = createBullTransport({
      connection: { host: '127.0.0.1', port: 1 },
      connectTimeoutMs: 200,
    });
    try {
      const error = await lastValueFrom(transport.task('any')(1)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionLostError);
    } finally {
      await transport.close();
    }
  });

  it('MI patterns give the same values, statuses and decision over the wire as locally', async () => {
    const calc = (n: number): number => {
      if (n % 5 === 3) throw new Error(`no ${n}`);
      return n * 2;
    };
    const rules = {
      'all settled (WCP-13/14)': allSettled(),
      'first failure': allSucceed(),
      'threshold (WCP-35)': threshold(4),
      'tolerated failures': toleratedFailures({ count: 1 }),
      'a predicate (WCP-36)': when((c) => c.succeeded >= 5),
    };
    await withCluster({ calc }, async (transport) => {
      for (const [name, completion] of Object.entries(rules)) {
        const spec = { taskId: 'calc', concurrency: 1, completion };
        const outcome = (result: MIResult<number>) => ({
          status: result.status,
          reason: result.reason,
          values: result.values,
          statuses: result.instances.map((r) => r.status),
        });
        const settle = (events: ReturnType<typeof runMultipleInstance<number, number>>) =>
          lastValueFrom(events).then((last) => (last.type === 'decided' ? outcome(last.result) : undefined));
        const local = await settle(runMultipleInstance(10, { ...spec, run: calc }));
        const remote = await settle(
          runMultipleInstance(10, {
            ...spec,
            caseId: `case-${name.replace(/\W+/g, '-')}`,
            run: transport.task('calc'),
          }),
        );
        expect(local, name).toBeDefined();
        expect(remote, name).toEqual(local);
      }
    });
  });

  it('a daemon operation runs on a worker: the payload goes over, the result comes back', async () => {
    await withCluster({ greet: (name: string) => `hello ${name}` }, async (transport) => {
      const daemon = createDaemon();
      daemon.schedule({ id: 'greet', run: transport.operation<string, string>('greet') });
      daemon.start();
      try {
        const result = await daemon.execute('greet', 'rxdaemon');
        expect(result).toMatchObject({ id: 'greet', status: 'succeeded', value: 'hello rxdaemon' });
      } finally {
        await daemon.stop();
      }
    });
  });
});
