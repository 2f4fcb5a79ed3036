import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** A full garbage collection (the benchmark process exposes V8's gc). */
export const collectGarbage = (): void => collect();

export interface Measurement {
  /** Wall-clock nanoseconds per instance (median run). */
  readonly nsPerOp: number;
  readonly opsPerSecond: number;
  /** Largest heap growth seen at the end of a run, from a collected baseline, in MB. */
  readonly heapMB: number;
}

/**
 * Measures `job` over `n` instances: one full GC for the heap baseline, one untimed warm-up run,
 * then about 300,000 instances of timed runs (1 to 15) of which the median is kept. No GC is
 * forced between timed runs: a forced full GC ages V8's bytecode and penalises the run after it.
 */
export async function measure(n: number, job: () => Promise<unknown>): Promise<Measurement> {
  collect();
  const heapBefore = process.memoryUsage().heapUsed;
  await job();
  const runs = Math.min(15, Math.max(1, Math.round(300_000 / n)));
  const times: number[] = [];
  let heapPeak = 0;
  for (let i = 0; i < runs; i++) {
    const start = process.hrtime.bigint();
    await job();
    times.push(Number(process.hrtime.bigint() - start));
    heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed - heapBefore);
  }
  times.sort((a, b) => a - b);
  const ns = times[Math.floor(times.length / 2)]!;
  return { nsPerOp: ns / n, opsPerSecond: (n * 1e9) / ns, heapMB: heapPeak / 2 ** 20 };
}

/** Formats a ratio like `×1.8`. */
export const ratio = (value: number, base: number): string =>
  `×${(value / base).toFixed(value / base < 10 ? 2 : 0)}`;

export const fmtNs = (ns: number): string =>
  ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(0)} ns`;

export const fmtOps = (ops: number): string =>
  ops >= 1e6
    ? `${(ops / 1e6).toFixed(2)} M/s`
    : ops >= 1e3
      ? `${(ops / 1e3).toFixed(0)} k/s`
      : `${ops.toFixed(0)}/s`;

/** Prints a Markdown table. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(headers));
  console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
  for (const row of rows) console.log(line(row));
  console.log();
}
