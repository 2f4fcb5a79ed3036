import { type ChildProcess, spawn } from 'node:child_process';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMultipleInstance, threshold, toMIResult } from 'rxdaemon';
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
});
