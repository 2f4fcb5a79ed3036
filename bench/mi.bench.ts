/**
 * The MI engine against its baselines, in one process (issue 3): throughput with `keep: 'summary'`,
 * memory of lazy and buffered intake, and early completion under a threshold.
 */
import pMap from 'p-map';
import PQueue from 'p-queue';
import { ignoreElements, lastValueFrom, mergeMap, range, scan, Subject, takeWhile } from 'rxjs';
import { abortable, type MISpec, runMultipleInstance, threshold, toMIResult } from 'rxdaemon';
import { collectGarbage, fmtNs, measure, ratio, table } from './harness.js';

const noop = (): Promise<number> => Promise.resolve(1);

function* indexes(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

const contenders: Record<string, (n: number, c: number) => Promise<unknown>> = {
  'p-map': (n, c) => pMap(indexes(n), noop, { concurrency: c }),
  mergeMap: (n, c) =>
    lastValueFrom(range(0, n).pipe(mergeMap(noop, c), ignoreElements()), { defaultValue: 0 }),
  // The same lazy Iterable p-map gets: pulled one input per free slot.
  runMultipleInstance: (n, c) =>
    lastValueFrom(
      runMultipleInstance(indexes(n), { taskId: 'bench', run: noop, concurrency: c, keep: 'summary' }).pipe(
        toMIResult(),
      ),
    ),
  // A count: static creation, every instance admitted (pending) before the first starts.
  'runMultipleInstance(n)': (n, c) =>
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
      const counted = await measure(n, () => contenders['runMultipleInstance(n)']!(n, c));
      rows.push([
        n.toLocaleString('en'),
        String(c),
        fmtNs(pmap.nsPerOp),
        merge ? fmtNs(merge.nsPerOp) : 'skipped',
        fmtNs(mi.nsPerOp),
        ratio(mi.nsPerOp, pmap.nsPerOp),
        merge ? ratio(merge.nsPerOp, mi.nsPerOp) : '-',
        fmtNs(counted.nsPerOp),
        ratio(counted.nsPerOp, pmap.nsPerOp),
      ]);
    }
  }
  console.log(
    "### MI engine: no-op instances, runMultipleInstance(inputs, { keep: 'summary' }) — a lazy Iterable, as p-map gets, and a count (static creation)\n",
  );
  table(
    [
      'N',
      'c',
      'p-map / op',
      'mergeMap / op',
      'MI / op',
      'MI vs p-map',
      'mergeMap vs MI',
      'MI(count) / op',
      'MI(count) vs p-map',
    ],
    rows,
  );
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
  // A lazy Iterable is pulled one input per free slot; a count or an array is static creation
  // (every instance admitted, pending, at the start: DESIGN §4), so it holds its n records.
  const lazy = await peakHeapMB(() =>
    lastValueFrom(
      runMultipleInstance(indexes(n), { taskId: 'lazy', run: noop, concurrency: 256, keep: 'summary' }).pipe(
        toMIResult(),
      ),
    ),
  );
  const counted = await peakHeapMB(() =>
    lastValueFrom(
      runMultipleInstance(n, { taskId: 'static', run: noop, concurrency: 256, keep: 'summary' }).pipe(
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
      [
        "heap growth, a count of 1,000,000 (static creation), c = 256, keep: 'summary'",
        `${counted.toFixed(1)} MB`,
      ],
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
      let alive = true;
      const timer = setTimeout(() => {
        alive = false;
        counts.alive--;
        resolve(1);
      }, 1);
      signal?.addEventListener('abort', () => {
        if (alive) {
          clearTimeout(timer);
          alive = false;
          counts.alive--;
        }
        reject(signal.reason as Error);
      });
    });
}

interface EarlyRun {
  readonly started: number;
  /** Timers still pending when the contender returned: work it could not cancel. */
  readonly alive: number;
  readonly ms: number;
}

type Counts = { started: number; alive: number };

/** runMultipleInstance with threshold(1000) over a lazy Iterable or a count, the task honouring its signal or not. */
function earlyMI(source: 'lazy' | 'count', honourSignal: boolean) {
  return (n: number, counts: Counts): Promise<unknown> => {
    const task = timerTask(counts);
    const spec: MISpec<number, number> = {
      taskId: 'early',
      // Reading `signal` makes its AbortController; the task that ignores it never reads it.
      run: honourSignal ? (i, context) => task(i, context.signal) : (i) => task(i),
      concurrency: 256,
      completion: threshold(1000),
      keep: 'summary',
    };
    const events = source === 'lazy' ? runMultipleInstance(indexes(n), spec) : runMultipleInstance(n, spec);
    return lastValueFrom(events.pipe(toMIResult()));
  };
}

const earlyContenders: Record<string, (n: number, counts: Counts) => Promise<unknown>> = {
  'runMultipleInstance + threshold(1000), lazy Iterable': earlyMI('lazy', true),
  'runMultipleInstance, lazy Iterable, task ignores its signal': earlyMI('lazy', false),
  'runMultipleInstance + threshold(1000), a count (static creation: n records)': earlyMI('count', true),
  'rxjs range + mergeMap(abortable) + scan + takeWhile': (n, counts) => {
    const task = timerTask(counts);
    return lastValueFrom(
      range(0, n).pipe(
        mergeMap((i) => abortable((signal) => task(i, signal)), 256),
        scan((done) => done + 1, 0),
        takeWhile((done) => done < 1000, true),
      ),
    );
  },
  'p-map, aborted after 1000 (no per-task cancel)': (n, counts) => {
    const task = timerTask(counts);
    const controller = new AbortController();
    let done = 0;
    return pMap(
      indexes(n),
      async (i) => {
        await task(i);
        if (++done === 1000) controller.abort();
      },
      { concurrency: 256, signal: controller.signal },
    ).catch(() => undefined);
  },
};

/** One run: how many started, how many timers outlive the return, how long it took. */
async function earlyRun(n: number, run: (n: number, counts: Counts) => Promise<unknown>): Promise<EarlyRun> {
  const counts = { started: 0, alive: 0 };
  collectGarbage(); // the rxjs contender leaves a million-entry buffer behind: no run pays for another's garbage
  const t0 = performance.now();
  await run(n, counts);
  const ms = performance.now() - t0;
  const alive = counts.alive;
  await new Promise((resolve) => setTimeout(resolve, 5)); // let leftovers fire before the next run
  return { started: counts.started, alive, ms };
}

/** Early completion: each contender 5 times, interleaved; the median time is reported. */
export async function benchEarlyCompletion(): Promise<void> {
  const n = 1_000_000;
  const runs = new Map<string, EarlyRun[]>();
  for (let round = 0; round < 5; round++) {
    for (const [name, run] of Object.entries(earlyContenders)) {
      runs.set(name, [...(runs.get(name) ?? []), await earlyRun(n, run)]);
    }
  }
  const rows = [...runs].map(([name, results]) => {
    const sorted = [...results].sort((a, b) => a.ms - b.ms);
    const median = sorted[Math.floor(sorted.length / 2)]!;
    return [
      name,
      String(median.started),
      String(median.alive),
      `${median.ms.toFixed(1)} ms`,
      `${sorted[0]!.ms.toFixed(1)} ms`,
    ];
  });
  console.log(
    '### MI engine: early completion, 1,000,000 instances of a 1 ms timer, c = 256, done after 1000\n',
  );
  table(['contender', 'started', 'timers alive after it returned', 'median time', 'best'], rows);
}

/**
 * What telemetry costs when no OpenTelemetry SDK is installed: the same task with its hooks on (the
 * default: a no-op tracer, an MI_CHANNEL check per event) and off (`telemetry: false`), alternated
 * run by run in this process, medians of 15.
 */
export async function benchTelemetryCost(): Promise<void> {
  const rows: string[][] = [];
  for (const c of [8, 256]) {
    const once = async (telemetry: boolean) => {
      const start = process.hrtime.bigint();
      await lastValueFrom(
        runMultipleInstance(indexes(100_000), {
          taskId: 'bench',
          run: noop,
          concurrency: c,
          keep: 'summary',
          telemetry,
        }).pipe(toMIResult()),
      );
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    for (let i = 0; i < 3; i++) {
      await once(true); // warm-up
      await once(false);
    }
    const on: number[] = [];
    const off: number[] = [];
    for (let i = 0; i < 15; i++) {
      on.push(await once(true));
      off.push(await once(false));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[7]!;
    rows.push([
      String(c),
      `${median(on).toFixed(1)} ms`,
      `${median(off).toFixed(1)} ms`,
      ratio(median(on), median(off)),
    ]);
  }
  console.log(
    '### MI engine: telemetry hooks without an SDK, 100,000 no-op instances (on vs `telemetry: false`)\n',
  );
  table(['c', 'hooks on (default)', 'hooks off', 'on vs off'], rows);
}
