/**
 * The daemon (issue 4): schedule + execute 100,000 no-op operations, awaited by K concurrent drivers,
 * against a bare loop of K async workers awaiting the same no-op, in the same process.
 */
import { createDaemon } from 'rxdaemon';
import { AnalysedDaemonModel } from './baselines/analysed-daemon.js';
import { collectGarbage, fmtOps, table } from './harness.js';

const noop = (): Promise<number> => Promise.resolve(1);

interface DriverRun {
  readonly opsPerSecond: number;
  readonly p50us: number;
  readonly p99us: number;
  readonly rssMB: number;
  /** The process's peak resident set during the run. */
  readonly peakRssMB: number;
}

/** K drivers share an index; each awaits `call(i)` and records its latency. */
async function drive(n: number, k: number, call: (i: number) => Promise<unknown>): Promise<DriverRun> {
  collectGarbage();
  const rssBefore = process.memoryUsage().rss;
  let rssPeak = rssBefore;
  const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 5);
  const latencies = new Float64Array(n);
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: k }, async () => {
      while (next < n) {
        const i = next++;
        const t0 = process.hrtime.bigint();
        await call(i);
        latencies[i] = Number(process.hrtime.bigint() - t0) / 1000;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  clearInterval(sampler);
  rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
  latencies.sort();
  return {
    opsPerSecond: n / seconds,
    p50us: latencies[Math.floor(n * 0.5)]!,
    p99us: latencies[Math.floor(n * 0.99)]!,
    rssMB: (rssPeak - rssBefore) / 2 ** 20,
    peakRssMB: rssPeak / 2 ** 20,
  };
}

const contenders: Record<string, (n: number, k: number) => Promise<DriverRun>> = {
  'bare loop': (n, k) => drive(n, k, noop),
  'analysed daemon (model): schedule + execute': async (n, k) => {
    const daemon = new AnalysedDaemonModel();
    return drive(n, k, (i) => {
      daemon.schedule({ id: `op-${i}`, handler: noop });
      return daemon.execute(`op-${i}`);
    });
  },
  'daemon: schedule + execute (maxConcurrent 8)': async (n, k) => {
    const daemon = createDaemon({ maxConcurrent: 8, completedCacheSize: 1000 });
    daemon.start();
    const run = await drive(n, k, (i) => {
      daemon.schedule({ id: `op-${i}`, run: noop });
      return daemon.execute(`op-${i}`);
    });
    await daemon.stop();
    return run;
  },
  'daemon: execute one operation (maxConcurrent 8, overlap allow)': async (n, k) => {
    const daemon = createDaemon({ maxConcurrent: 8 });
    daemon.schedule({ id: 'noop', run: noop, overlap: 'allow' });
    daemon.start();
    const run = await drive(n, k, () => daemon.execute('noop'));
    await daemon.stop();
    return run;
  },
};

export async function benchDaemon(n = 100_000): Promise<void> {
  const rows: string[][] = [];
  for (const k of [8, 256]) {
    for (const [name, contender] of Object.entries(contenders)) {
      await contender(100_000, k); // warm-up: the JIT needs a while on this path
      const runs: DriverRun[] = [];
      for (let i = 0; i < 3; i++) runs.push(await contender(n, k));
      runs.sort((a, b) => a.opsPerSecond - b.opsPerSecond);
      const median = runs[1]!;
      rows.push([
        String(k),
        name,
        fmtOps(median.opsPerSecond),
        `${median.p50us.toFixed(1)} µs`,
        `${median.p99us.toFixed(1)} µs`,
        `${median.rssMB.toFixed(1)} MB`,
        `${median.peakRssMB.toFixed(0)} MB`,
      ]);
    }
  }
  console.log(`### Daemon: ${n.toLocaleString('en')} no-op operations awaited by K drivers (median of 3)\n`);
  table(['K', 'contender', 'ops/s', 'p50 latency', 'p99 latency', 'RSS growth', 'peak RSS'], rows);
}
