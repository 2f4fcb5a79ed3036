/**
 * The worker pool against its baselines, in one process: a bare async worker loop (the floor),
 * raw rxjs `mergeMap`, p-map, p-queue, and `workerPool` + `completeWhen(allSettled())` + `tally()`.
 */
import pMap from 'p-map';
import PQueue from 'p-queue';
import { ignoreElements, lastValueFrom, last, mergeMap, range } from 'rxjs';
import { allSettled, completeWhen, tally, workerPool } from 'rxdaemon/operators';
import { fmtNs, type Measurement, measure, ratio, table } from './harness.js';

type Task = () => Promise<unknown>;

export const tasks: Record<string, Task> = {
  'resolved promise': () => Promise.resolve(1),
  'one setImmediate': () => new Promise<void>((resolve) => setImmediate(resolve)),
};

function* syncIndexes(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

export const contenders: Record<string, (n: number, c: number, task: Task) => Promise<unknown>> = {
  floor: async (n, c, task) => {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < n) {
        next++;
        await task();
      }
    };
    await Promise.all(Array.from({ length: Math.min(c, n) }, worker));
  },
  mergeMap: (n, c, task) =>
    lastValueFrom(range(0, n).pipe(mergeMap(task, c), ignoreElements()), { defaultValue: 0 }),
  'p-map': (n, c, task) => pMap(syncIndexes(n), task, { concurrency: c }),
  'p-queue': async (n, c, task) => {
    const queue = new PQueue({ concurrency: c });
    for (let i = 0; i < n; i++) void queue.add(task);
    await queue.onIdle();
  },
  workerPool: (n, c, task) =>
    lastValueFrom(
      range(0, n).pipe(workerPool(task, { concurrency: c }), completeWhen(allSettled()), tally(), last()),
    ),
};

export interface PoolBenchOptions {
  readonly sizes: readonly number[];
  readonly concurrencies: readonly number[];
  /** Run raw mergeMap even where its O(n²) dequeue makes a cell take tens of seconds. */
  readonly full: boolean;
}

export async function benchPool({ sizes, concurrencies, full }: PoolBenchOptions): Promise<void> {
  for (const [taskName, task] of Object.entries(tasks)) {
    const rows: string[][] = [];
    for (const n of sizes) {
      for (const c of concurrencies) {
        const m: Record<string, Measurement | undefined> = {};
        for (const [name, run] of Object.entries(contenders)) {
          if (name === 'mergeMap' && n >= 1_000_000 && !full) continue; // ~40 s a cell: O(n²) Array#shift
          m[name] = await measure(n, () => run(n, c, task));
        }
        const floor = m.floor!.nsPerOp;
        const pool = m.workerPool!;
        const pmap = m['p-map']!.nsPerOp;
        rows.push([
          n.toLocaleString('en'),
          String(c),
          fmtNs(floor),
          m.mergeMap ? ratio(m.mergeMap.nsPerOp, floor) : 'skipped',
          ratio(pmap, floor),
          ratio(m['p-queue']!.nsPerOp, floor),
          fmtNs(pool.nsPerOp),
          ratio(pool.nsPerOp, floor),
          ratio(pool.nsPerOp, pmap),
          `${pool.heapMB.toFixed(1)} MB`,
        ]);
      }
    }
    console.log(`### Worker pool, tasks that return a ${taskName}\n`);
    table(
      [
        'N',
        'c',
        'floor / op',
        'mergeMap',
        'p-map',
        'p-queue',
        'workerPool / op',
        'pool vs floor',
        'pool vs p-map',
        'pool heap',
      ],
      rows,
    );
  }
}
