/** Receipts (issue 5): receipts per second for 1 KiB records with a root every 1,000. */
import { createReceiptLog, hashingReady } from 'rxdaemon';
import { fmtOps, table } from './harness.js';

const BODY = 'x'.repeat(1024 - 40); // with seq and kind, ≈ 1 KiB of canonical JSON

/** A record as an application makes one: a fresh object per receipt (its large text shared). */
function record(i: number): { seq: number; kind: string; body: string } {
  return { seq: i, kind: 'operation-run', body: BODY };
}

export async function benchReceipts(n = 200_000): Promise<void> {
  // The loop is synchronous: without this it would run before the WASM hasher exists, on the
  // pure-JS one that covers only the package's first turn.
  await hashingReady();
  const rows: string[][] = [];
  for (const rootEvery of [1000, 100]) {
    const runs: number[] = [];
    for (let r = 0; r < 3; r++) {
      const log = createReceiptLog();
      const start = process.hrtime.bigint();
      for (let i = 0; i < n; i++) {
        log.append(record(i));
        if ((i + 1) % rootEvery === 0) log.root();
      }
      runs.push(n / (Number(process.hrtime.bigint() - start) / 1e9));
    }
    runs.sort((a, b) => a - b);
    rows.push([
      `1 KiB records, a root every ${rootEvery}`,
      fmtOps(runs[1]!),
      `×${(runs[1]! / 89_000).toFixed(1)}`,
    ]);
  }
  console.log(`### Receipts: ${n.toLocaleString('en')} appends (median of 3)\n`);
  table(['workload', 'receipts/s', 'vs the analysed daemon (89k/s)'], rows);
  await Promise.resolve();
}
