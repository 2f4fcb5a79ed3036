/**
 * Distribution (issue 11): 100,000 no-op instances at c = 256 on 2 worker processes, as an MI task
 * over `createBullTransport` against the same jobs through raw BullMQ (`Queue.addBulk` + `Worker` +
 * `QueueEvents`) in the same run, on the same Redis. Also: cancellation latency (the decision to
 * each running handler's abort, across processes) and Redis memory per waiting instance.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { firstValueFrom, lastValueFrom, tap } from 'rxjs';
import { runMultipleInstance, threshold, toMIResult } from 'rxdaemon';
import { createBullTransport } from 'rxdaemon/bullmq';
import { startRedis, type TestRedis } from '../test/support/redis.js';
import { fmtOps, table } from './harness.js';

const root = new URL('..', import.meta.url).pathname;
const WORKER_CONCURRENCY = 128; // per process: 256 in all, the MI task's concurrency
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Spawns a worker process and resolves once it says it is ready. */
async function spawnWorker(args: readonly string[], env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=rxdaemon-source', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('worker: ')) resolve();
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (code) => reject(new Error(`worker exited (${code}):\n${output}`)));
  });
  return child;
}

async function stopWorkers(children: readonly ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('close', () => resolve());
          child.kill('SIGTERM');
        }),
    ),
  );
}

const rxdaemonWorkers = (redis: TestRedis, queue: string) =>
  Promise.all(
    [1, 2].map(() =>
      spawnWorker(
        [
          'src/cli/main.ts',
          'worker',
          'bench/fixtures/bench-worker.ts',
          '--redis',
          `redis://${redis.host}:${redis.port}`,
          '--queue',
          queue,
          '--concurrency',
          String(WORKER_CONCURRENCY),
        ],
        { BENCH_REDIS_PORT: String(redis.port) },
      ),
    ),
  );

async function throughputOverTransport(redis: TestRedis, n: number, concurrency = 256): Promise<number> {
  const queue = 'bench-mi';
  const workers = await rxdaemonWorkers(redis, queue);
  const transport = createBullTransport({ connection: { host: redis.host, port: redis.port }, queue });
  try {
    const start = performance.now();
    const result = await firstValueFrom(
      runMultipleInstance(n, {
        taskId: 'noop',
        caseId: 'bench',
        concurrency,
        keep: 'summary',
        run: transport.task<number, null>('noop'),
      }).pipe(toMIResult()),
    );
    const seconds = (performance.now() - start) / 1000;
    if (result.counters.succeeded !== n)
      throw new Error(`only ${result.counters.succeeded} of ${n} succeeded`);
    return n / seconds;
  } finally {
    await transport.close();
    await stopWorkers(workers);
  }
}

/**
 * Raw BullMQ: every job added up front (`inFlight` undefined), or at most `inFlight` at a time, each
 * completion adding the next (in bulk per turn) — the same bound the MI task's concurrency sets.
 */
async function throughputRawBullMQ(redis: TestRedis, n: number, inFlight?: number): Promise<number> {
  const queue = `bench-raw-${inFlight ?? 'all'}`;
  const connection = { host: redis.host, port: redis.port };
  const workers = await Promise.all(
    [1, 2].map(() =>
      spawnWorker(
        ['bench/fixtures/raw-worker.ts', String(redis.port), queue, String(WORKER_CONCURRENCY)],
        {},
      ),
    ),
  );
  const producer = new Queue(queue, { connection });
  const events = new QueueEvents(queue, { connection });
  const job = (i: number) => ({
    name: 'noop',
    data: { input: i, attempt: 1 },
    opts: { jobId: `bench~noop~${i}~1`, removeOnComplete: { age: 86_400 } },
  });
  try {
    await events.waitUntilReady();
    let completed = 0;
    let added = 0;
    let pending = 0;
    const refill = (): void => {
      const batch = Array.from({ length: pending }, () => job(added++));
      pending = 0;
      void producer.addBulk(batch);
    };
    const done = new Promise<void>((resolve) =>
      events.on('completed', () => {
        if (++completed === n) resolve();
        if (inFlight !== undefined && added + pending < n && pending++ === 0) queueMicrotask(refill);
      }),
    );
    const start = performance.now();
    const first = inFlight ?? n;
    for (let i = 0; i < first; i += 1000) {
      await producer.addBulk(Array.from({ length: Math.min(1000, first - i) }, () => job(added++)));
    }
    await done;
    return n / ((performance.now() - start) / 1000);
  } finally {
    await events.close();
    await producer.close();
    await stopWorkers(workers);
  }
}

/** The decision to each running handler's abort: 256 instances held on the workers, threshold 1. */
async function cancellationLatency(redis: TestRedis, rounds: number): Promise<number[]> {
  const queue = 'bench-cancel';
  const workers = await rxdaemonWorkers(redis, queue);
  const connection = { host: redis.host, port: redis.port };
  const transport = createBullTransport({ connection, queue });
  const client = new Redis({ ...connection, maxRetriesPerRequest: null });
  const latencies: number[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      await client.del('bench:aborted-at', 'bench:held');
      let decidedAt = 0;
      const allHeld = async (): Promise<number> => {
        while (Number(await client.get('bench:held')) < 256) await sleep(5);
        return 0;
      };
      await lastValueFrom(
        runMultipleInstance(257, {
          taskId: 'hold',
          caseId: `cancel-${round}`,
          concurrency: 257,
          completion: threshold(1),
          // Instance 0 succeeds once the 256 others all run on the workers: the decision cancels them.
          run: (i: number, context) =>
            i === 0 ? allHeld() : transport.task<null, number>('hold')(null, context),
        }).pipe(
          tap((e) => {
            if (e.type === 'decided') decidedAt = performance.timeOrigin + performance.now();
          }),
        ),
      );
      for (let i = 0; i < 200 && (await client.llen('bench:aborted-at')) < 256; i++) {
        await sleep(10);
      }
      const abortedAt = (await client.lrange('bench:aborted-at', 0, -1)).map(Number);
      latencies.push(...abortedAt.map((at) => at - decidedAt));
    }
    return latencies.sort((a, b) => a - b);
  } finally {
    client.disconnect();
    await transport.close();
    await stopWorkers(workers);
  }
}

/** Redis memory per waiting job: tasks subscribed with no worker running, against raw addBulk. */
async function memoryPerWaiting(redis: TestRedis, n: number): Promise<{ transport: number; raw: number }> {
  const connection = { host: redis.host, port: redis.port };
  const client = new Redis({ ...connection, maxRetriesPerRequest: null });
  const used = async (): Promise<number> => Number(/used_memory:(\d+)/.exec(await client.info('memory'))![1]);
  try {
    const transport = createBullTransport({ connection, queue: 'bench-memory' });
    const probe = new Queue('bench-memory', { connection });
    const before = await used();
    const subscription = runMultipleInstance(n, {
      taskId: 'noop',
      caseId: 'memory',
      concurrency: n,
      run: transport.task<number, null>('noop'),
    }).subscribe();
    while ((await probe.getWaitingCount()) < n) await sleep(20);
    const perTransport = ((await used()) - before) / n;
    subscription.unsubscribe();
    await transport.close();
    await probe.obliterate({ force: true });
    await probe.close();

    const raw = new Queue('bench-memory-raw', { connection });
    const rawBefore = await used();
    for (let i = 0; i < n; i += 1000) {
      await raw.addBulk(
        Array.from({ length: Math.min(1000, n - i) }, (_, k) => ({
          name: 'noop',
          data: { input: i + k, attempt: 1 },
          opts: { jobId: `memory~noop~${i + k}~1` },
        })),
      );
    }
    const perRaw = ((await used()) - rawBefore) / n;
    await raw.obliterate({ force: true });
    await raw.close();
    return { transport: perTransport, raw: perRaw };
  } finally {
    client.disconnect();
  }
}

export async function benchDistributed(n = 100_000): Promise<void> {
  console.log(`## Distributed: ${n.toLocaleString('en')} no-op instances, c = 256, 2 worker processes\n`);
  const redis = await startRedis();
  try {
    const raw = await throughputRawBullMQ(redis, n);
    const raw256 = await throughputRawBullMQ(redis, n, 256);
    const ours = await throughputOverTransport(redis, n);
    const vs = (x: number): string => `${(x / raw).toFixed(2)}×`;
    table(
      ['contender', 'instances/s', 'vs raw BullMQ'],
      [
        ['raw BullMQ: all jobs addBulk-ed up front + Worker + QueueEvents', fmtOps(raw), vs(raw)],
        ['raw BullMQ: 256 in flight, each completion adds the next', fmtOps(raw256), vs(raw256)],
        ['multipleInstance (c = 256) over createBullTransport', fmtOps(ours), vs(ours)],
      ],
    );
    console.log(
      `\nover the transport vs raw BullMQ with the same 256 in flight: ${(ours / raw256).toFixed(2)}×`,
    );
    const latencies = await cancellationLatency(redis, 5);
    const at = (q: number): string => `${latencies[Math.floor((latencies.length - 1) * q)]!.toFixed(1)} ms`;
    console.log(`\ncancellation latency, decision → abort on the worker (${latencies.length} handlers):`);
    console.log(`p50 ${at(0.5)}, p99 ${at(0.99)}, max ${at(1)}\n`);
    const memory = await memoryPerWaiting(redis, 10_000);
    console.log(
      `Redis memory per waiting instance: ${memory.transport.toFixed(0)} B over the transport, ` +
        `${memory.raw.toFixed(0)} B raw (${(memory.transport / memory.raw).toFixed(2)}×)\n`,
    );
  } finally {
    await redis.stop();
  }
}
