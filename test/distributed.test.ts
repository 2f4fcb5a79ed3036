import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { filter, firstValueFrom, lastValueFrom, takeWhile } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allSettled, createDaemon, runMultipleInstance, threshold, toMIResult } from 'rxdaemon';
import {
  ConnectionLostError,
  createBullTransport,
  NotSerializableError,
  RemoteTaskError,
  type RunningWorker,
  startWorker,
  UnknownHandlerError,
} from 'rxdaemon/bullmq';
import { CancelledError, ConfigError } from 'rxdaemon';
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
    const reasons: unknown[] = [];
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
              reasons.push(signal.reason);
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
          for (const reason of reasons) expect(reason).toBeInstanceOf(CancelledError);
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

  it('resume: an orchestrator stopped mid-task, the same task with the same caseId on a new transport does not run finished instances again', async () => {
    const runs = new Map<number, number>();
    const inputs = [0, 1, 2, 3, 4, 5].map((n) => ({ n, ms: n < 4 ? 10 : 400 }));
    await withCluster(
      {
        calc: (input: { n: number; ms: number }, { signal }) => {
          runs.set(input.n, (runs.get(input.n) ?? 0) + 1);
          return sleep(input.ms, input.n * input.n, signal);
        },
      },
      async (first, queue) => {
        const spec = (transport: typeof first) => ({
          taskId: 'squares',
          caseId: 'resume-1',
          concurrency: 6,
          run: transport.task<{ n: number; ms: number }, number>('calc'),
        });
        // Stopped once the four quick instances have succeeded: the two slow ones are cancelled.
        let succeeded = 0;
        await lastValueFrom(
          runMultipleInstance(inputs, spec(first)).pipe(
            takeWhile((e) => e.type !== 'succeeded' || ++succeeded < 4),
          ),
        );
        await first.close();
        const second = createBullTransport({ connection: { host: redis.host, port: redis.port }, queue });
        try {
          const result = await firstValueFrom(runMultipleInstance(inputs, spec(second)).pipe(toMIResult()));
          expect(result.values).toEqual([0, 1, 4, 9, 16, 25]);
          expect(result.instances.map((r) => r.status)).toEqual(Array(6).fill('succeeded'));
        } finally {
          await second.close();
        }
      },
    );
    // The four that had finished ran once; the two cancelled mid-run ran again.
    expect([...runs].sort(([a], [b]) => a - b)).toEqual([
      [0, 1],
      [1, 1],
      [2, 1],
      [3, 1],
      [4, 2],
      [5, 2],
    ]);
  });

  it('an outcome whose event was lost (the capped event stream trimmed while the reader was away) still arrives', async () => {
    await withCluster({ wait: (ms: number) => sleep(ms, ms) }, async (transport, queue) => {
      const admin = new Redis({ host: redis.host, port: redis.port });
      try {
        const outcome = lastValueFrom(
          transport.task<number, number>('wait')(300, { taskId: 'lost', index: 0 }),
        );
        await sleep(100, null);
        // The transport's event reader is the connection blocked reading the queue's event stream.
        const clients = (await admin.client('LIST')) as string;
        const name = `name=bull:${Buffer.from(queue).toString('base64')}:qe `;
        const reader = clients.split('\n').find((line) => line.includes(name) && line.includes('cmd=xread'));
        const readerId = /id=(\d+)/.exec(reader ?? '')?.[1];
        expect(readerId).toBeDefined();
        await admin.client('KILL', 'ID', readerId!); // it reconnects after BullMQ's 1 s retry delay
        await sleep(400, null); // meanwhile the job completes, and its event is trimmed away
        await admin.xtrim(`bull:${queue}:events`, 'MAXLEN', 0);
        expect(await outcome).toBe(300);
      } finally {
        admin.disconnect();
      }
    });
  }, 20_000);

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

  it('a daemon operation runs on a worker: the payload goes over, the result comes back', async () => {
    await withCluster({ greet: (name: string) => `hello ${name}` }, async (transport) => {
      const daemon = createDaemon();
      // A remote task is a daemon operation's `run` as it is; `operation(name)` says the same.
      daemon.schedule({ id: 'greet', run: transport.task<string, string>('greet') });
      daemon.schedule({ id: 'greet-too', run: transport.operation<string, string>('greet') });
      daemon.start();
      try {
        for (const id of ['greet', 'greet-too']) {
          const result = await daemon.execute(id, 'rxdaemon');
          expect(result).toMatchObject({ id, status: 'succeeded', value: 'hello rxdaemon' });
        }
      } finally {
        await daemon.stop();
      }
    });
  });

  it('three daemons sharing one queue fire a 1 s interval operation once per tick: 5 ± 1 runs in 5 s, not 15', async () => {
    let runs = 0;
    await withCluster({ tick: () => ++runs }, async (_transport, queue) => {
      const connection = { host: redis.host, port: redis.port };
      const transports = [1, 2, 3].map(() => createBullTransport({ connection, queue }));
      const daemons = transports.map((transport, i) => {
        const daemon = createDaemon({ id: `d${i}`, transport });
        daemon.schedule({
          id: 'every-second',
          trigger: { type: 'interval', ms: 1000 },
          run: transport.task('tick'),
        });
        return daemon;
      });
      const succeeded: string[] = [];
      for (const daemon of daemons) {
        daemon.events.subscribe((e) => e.type === 'operation:succeeded' && succeeded.push(e.daemonId));
        daemon.start();
      }
      await sleep(5000, null);
      await Promise.all(daemons.map((d) => d.stop()));
      try {
        expect(runs).toBeGreaterThanOrEqual(4);
        expect(runs).toBeLessThanOrEqual(6);
        expect(succeeded.length).toBe(runs); // each run reported by the one daemon that took its tick
      } finally {
        await transports[0]!.removeSharedTrigger('every-second');
        await Promise.all(transports.map((t) => t.close()));
      }
    });
  }, 20_000);

  it('a tick taken by a daemon that does not schedule its operation is handed back to one that does', async () => {
    // Ticks are shared out among both daemons' tick workers; those of `a` that reach daemon b must
    // come back to daemon a: no tick of `a` goes missing between its first and its last.
    const ticks: Record<string, { daemonId: string; scheduledFor: number }[]> = { a: [], b: [] };
    await withCluster({ tick: () => 'ok' }, async (_transport, queue) => {
      const connection = { host: redis.host, port: redis.port };
      const transports = [1, 2].map(() => createBullTransport({ connection, queue }));
      const daemons = (['a', 'b'] as const).map((op, i) => {
        const daemon = createDaemon({ id: `daemon-${op}`, transport: transports[i]! });
        daemon.schedule({
          id: op,
          trigger: { type: 'interval', ms: 200 },
          overlap: 'allow',
          run: transports[i]!.operation('tick'),
        });
        daemon.events.subscribe((e) => {
          if (e.type === 'operation:enqueued' && e.trigger?.scheduledFor !== undefined) {
            ticks[e.operationId]!.push({ daemonId: e.daemonId, scheduledFor: e.trigger.scheduledFor });
          }
        });
        daemon.start();
        return daemon;
      });
      await sleep(2000, null);
      await Promise.all(daemons.map((d) => d.stop()));
      await Promise.all(['a', 'b'].map((op) => transports[0]!.removeSharedTrigger(op)));
      await Promise.all(transports.map((t) => t.close()));
    });
    for (const op of ['a', 'b']) {
      const times = ticks[op]!.map((t) => t.scheduledFor).sort((x, y) => x - y);
      expect(times.length, op).toBeGreaterThanOrEqual(3);
      expect(new Set(ticks[op]!.map((t) => t.daemonId)), op).toEqual(new Set([`daemon-${op}`]));
      // Under load BullMQ lets a late schedule slip a little; a lost tick would leave a whole gap.
      const expected = (times.at(-1)! - times[0]!) / 200 + 1;
      expect(new Set(times).size / expected, op).toBeGreaterThanOrEqual(0.75);
    }
  }, 20_000);

  it('bad input is a typed error before anything is queued: a non-JSON input, an unsafe queue name', async () => {
    await withCluster({ echo: (x: unknown) => x }, async (transport, queue) => {
      const echo = transport.task<unknown, unknown>('echo');
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      for (const [input, path] of [
        [{ at: new Date(0) }, 'input.at'],
        [[1, () => 2], 'input[1]'],
        [{ big: 10n }, 'input.big'],
        [NaN, 'input'],
        [cyclic, 'input.self'],
      ] as const) {
        const error = await lastValueFrom(echo(input, { taskId: 'bad', index: 0 })).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(NotSerializableError);
        expect((error as Error).message).toContain(path);
      }
      const inspect = new Queue(queue, { connection: { host: redis.host, port: redis.port } });
      expect(await inspect.getJobCountByTypes('waiting', 'active', 'completed', 'failed')).toBe(0);
      await inspect.close();
      expect(await lastValueFrom(echo({ a: [1, 'b', null, { c: true }], d: undefined }))).toEqual({
        a: [1, 'b', null, { c: true }],
      });
    });
    const connection = { host: redis.host, port: redis.port };
    for (const queue of ['a:b', '', 'x'.repeat(101), 'sp ace', '{tag}']) {
      expect(() => createBullTransport({ connection, queue })).toThrow(ConfigError);
      expect(() => startWorker({ connection, queue, handlers: {} })).toThrow(ConfigError);
    }
    // A handler name that is no name fails where it is written, not at the first call.
    const transport = createBullTransport({ connection });
    try {
      for (const name of ['', undefined, 42]) {
        expect(() => transport.task(name as string)).toThrow(/remote task: handler/);
        expect(() => transport.operation(name as string)).toThrow(ConfigError);
      }
    } finally {
      await transport.close();
    }
  });

  it('Redis killed mid-run: the running task fails with ConnectionLostError within the bound, and everything closes', async () => {
    const own = await startRedis();
    const connection = { host: own.host, port: own.port };
    const worker = startWorker({
      connection,
      queue: 'killed',
      handlers: { wait: (ms: number, { signal }) => sleep(ms, ms, signal) },
    });
    const transport = createBullTransport({ connection, queue: 'killed', connectTimeoutMs: 500 });
    try {
      const started = firstValueFrom(worker.events.pipe(filter((e) => e.type === 'job:started')));
      const outcome = lastValueFrom(transport.task<number, number>('wait')(60_000)).catch((e: unknown) => e);
      await started;
      const killedAt = performance.now();
      await own.stop('SIGKILL');
      const error = await outcome;
      expect(error).toBeInstanceOf(ConnectionLostError);
      expect(performance.now() - killedAt).toBeLessThan(5000);
      // A task started while Redis is down fails within the bound too.
      expect(await lastValueFrom(transport.task('wait')(1)).catch((e: unknown) => e)).toBeInstanceOf(
        ConnectionLostError,
      );
    } finally {
      await transport.close();
      await worker.close({ drainMs: 100 });
    }
  }, 20_000);
});
