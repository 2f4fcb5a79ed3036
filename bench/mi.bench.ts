/**
 * The MI engine against its baselines, in one process (issue 3): throughput with `keep: 'summary'`,
 * memory of lazy and buffered intake, and early completion under a threshold.
 */
import pMap from 'p-map';
import PQueue from 'p-queue';
import { ignoreElements, lastValueFrom, mergeMap, range, scan, Subject, takeWhile } from 'rxjs';
import { runMultipleInstance, threshold, toMIResult } from 'rxdaemon';
import { collectGarbage, fmtNs, measure, ratio, table } from './harness.js';

const noop = (): Promise<number> => Promise.resolve(1);

function* indexes(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

const contenders: Record<string, (n: number, c: number) => Promise<unknown>> = {
  'p-map': (n, c) => pMap(indexes(n), noop, { concurrency: c }),
  mergeMap: (n, c) =>
    lastValueFrom(range(0, n).pipe(mergeMap(noop, c), ignoreElements()), { defaultValue: 0 }),
  runMultipleInstance: (n, c) =>
    lastValueFrom(
      runMultipleInstance(n, { taskId: 'bench', run: noop, concurrency: c, keep: 'summary' }).pipe(
        toMIResult(),
      ),
    ),
};

export async function benchMIThroughput(sizes: readonly number[], full: boolean): Promise<void> {
  const rows: string[][] = [];
  for (const n of sizes) {
    for (const c of [8, 256, 10_000]) {
      const pmap = await measure(n, () => contenders['p-map']!(n, c));
      const merge = n >= 1_000_000 && !full ? undefined : await measure(n, () => contenders.mergeMap!(n, c));
      const mi = await measure(n, () => contenders.runMultipleInstance!(n, c));
      rows.push([
        n.toLocaleString('en'),
        String(c),
        fmtNs(pmap.nsPerOp),
        merge ? fmtNs(merge.nsPerOp) : 'skipped',
        fmtNs(mi.nsPerOp),
        ratio(mi.nsPerOp, pmap.nsPerOp),
        merge ? ratio(merge.nsPerOp, mi.nsPerOp) : '-',
      ]);
    }
  }
  console.log("### MI engine: no-op instances, runMultipleInstance(n, { keep: 'summary' })\n");
  table(['N', 'c', 'p-map / op', 'mergeMap / op', 'MI / op', 'MI vs p-map', 'mergeMap vs MI'], rows);
}

/** Peak heap growth while `job` runs, sampled every 5 ms, over a collected baseline. */
async function peakHeapMB(job: () => Promise<unknown>): Promise<number> {
  collectGarbage();
  const base = process.memoryUsage().heapUsed;
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed - base)), 5);
  await job();
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().heapUsed - base);
  return peak / 2 ** 20;
}

/** Heap bytes held per input while `n` inputs wait for a slot that never frees. */
async function bytesPerBuffered(
  n: number,
  fill: (n: number, release: Promise<void>) => Promise<unknown>,
): Promise<number> {
  let open!: () => void;
  const release = new Promise<void>((resolve) => (open = resolve));
  collectGarbage();
  const base = process.memoryUsage().heapUsed;
  const done = fill(n, release);
  await new Promise((resolve) => setImmediate(resolve));
  collectGarbage();
  const held = process.memoryUsage().heapUsed - base;
  open();
  await done;
  return held / n;
}

export async function benchMIMemory(): Promise<void> {
  const n = 1_000_000;
  const lazy = await peakHeapMB(() =>
    lastValueFrom(
      runMultipleInstance(n, { taskId: 'lazy', run: noop, concurrency: 256, keep: 'summary' }).pipe(
        toMIResult(),
      ),
    ),
  );
  const buffered = 100_000;
  const miBytes = await bytesPerBuffered(buffered, (count, release) => {
    const inputs = new Subject<number>();
    const result = lastValueFrom(
      inputs.pipe(
        (source) =>
          runMultipleInstance(source, {
            taskId: 'buffer',
            run: () => release.then(() => 1),
            concurrency: 1,
            keep: 'summary',
            maxBuffered: count,
          }),
        toMIResult(),
      ),
    );
    for (let i = 0; i < count; i++) inputs.next(i);
    inputs.complete();
    return result;
  });
  const pQueueBytes = await bytesPerBuffered(buffered, async (count, release) => {
    const queue = new PQueue({ concurrency: 1 });
    for (let i = 0; i < count; i++) void queue.add(() => release);
    await queue.onIdle();
  });
  const pMapBytes = await bytesPerBuffered(buffered, (count, release) =>
    pMap(
      Array.from({ length: count }, (_, i) => i),
      () => release,
      { concurrency: 1 },
    ),
  );
  console.log('### MI engine: memory\n');
  table(
    ['measure', 'figure'],
    [
      ["heap growth, 1,000,000 lazily pulled inputs, c = 256, keep: 'summary'", `${lazy.toFixed(1)} MB`],
      ['bytes per buffered input, Observable source outrunning the pool (MI)', `${miBytes.toFixed(0)} B`],
      ['bytes per pending input, p-map over an array of the inputs', `${pMapBytes.toFixed(0)} B`],
      ['bytes per pending input, p-queue', `${pQueueBytes.toFixed(0)} B`],
    ],
  );
}

/** A 1 ms timer task whose timer is cleared on abort; `alive` counts timers not yet fired or cleared. */
function timerTask(counts: { started: number; alive: number }) {
  return (_: number, signal?: AbortSignal): Promise<number> =>
    new Promise<number>((resolve, reject) => {
      counts.started++;
      counts.alive++;
      const timer = setTimeout(() => {
        counts.alive--;
        resolve(1);
      }, 1);
      signal?.addEventListener('abort', () => {
        clearTimeout(timer);
        counts.alive--;
        reject(signal.reason as Error);
      });
    });
}

export async function benchEarlyCompletion(): Promise<void> {
  const n = 1_000_000;
  const rows: string[][] = [];
  const report = (name: string, counts: { started: number; alive: number }, ms: number) =>
    rows.push([name, String(counts.started), String(counts.alive), `${ms.toFixed(1)} ms`]);

  {
    const counts = { started: 0, alive: 0 };
    const task = timerTask(counts);
    const t0 = performance.now();
    await lastValueFrom(
      runMultipleInstance(n, {
        taskId: 'early',
        run: (i, { signal }) => task(i, signal),
        concurrency: 256,
        completion: threshold(1000),
        keep: 'summary',
      }).pipe(toMIResult()),
    );
    report('runMultipleInstance + threshold(1000)', counts, performance.now() - t0);
  }
  {
    const counts = { started: 0, alive: 0 };
    const task = timerTask(counts);
    const t0 = performance.now();
    await lastValueFrom(
      range(0, n).pipe(
        mergeMap((i) => task(i), 256),
        scan((done) => done + 1, 0),
        takeWhile((done) => done < 1000, true),
      ),
    );
    report('rxjs range + mergeMap + scan + takeWhile', counts, performance.now() - t0);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  {
    const counts = { started: 0, alive: 0 };
    const task = timerTask(counts);
    const controller = new AbortController();
    let done = 0;
    const t0 = performance.now();
    await pMap(
      indexes(n),
      async (i) => {
        await task(i);
        if (++done === 1000) controller.abort();
      },
      { concurrency: 256, signal: controller.signal },
    ).catch(() => undefined);
    report('p-map with an AbortSignal after 1000', counts, performance.now() - t0);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  console.log(
    '### MI engine: early completion, 1,000,000 instances of a 1 ms timer, c = 256, done after 1000\n',
  );
  table(['contender', 'started', 'timers alive after it returned', 'time'], rows);
}
