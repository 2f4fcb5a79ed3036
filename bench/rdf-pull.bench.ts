/**
 * The pull form of the RDF feed (issue 12): a generated 1 GiB RDF Patch file read with
 * `readRdfPatch` into an MI task at c = 64, heap sampled throughout: memory follows the concurrency,
 * not the file.
 */
import { createReadStream, createWriteStream, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { firstValueFrom } from 'rxjs';
import { readRdfPatch, runMultipleInstance, toMIResult } from 'rxdaemon';
import { collectGarbage, fmtOps, table } from './harness.js';

const MiB = 2 ** 20;

async function writePatch(path: string, bytes: number): Promise<number> {
  const out = createWriteStream(path);
  let written = 0;
  let rows = 0;
  while (written < bytes) {
    let batch = '';
    for (let i = 0; i < 10_000; i++, rows++) {
      batch += `A <http://example.org/shop/product-${rows}> <https://schema.org/price> "${(rows % 500) + 0.25}"^^<http://www.w3.org/2001/XMLSchema#decimal> .\n`;
    }
    written += Buffer.byteLength(batch);
    if (!out.write(batch)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return rows;
}

export async function benchRdfPull(bytes = 1024 * MiB): Promise<void> {
  const path = join(tmpdir(), `rxdaemon-pull-${process.pid}.rdfp`);
  console.log(
    `## RDF pull: a ${Math.round(bytes / MiB)} MiB patch through readRdfPatch into an MI task (c = 64)\n`,
  );
  try {
    const rows = await writePatch(path, bytes);
    collectGarbage();
    const before = process.memoryUsage().heapUsed;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 50);
    const start = performance.now();
    const result = await firstValueFrom(
      runMultipleInstance(readRdfPatch(createReadStream(path, { highWaterMark: 64 * 1024 })), {
        taskId: 'enrich',
        concurrency: 64,
        keep: 'summary',
        run: (change) => change.quad.object.value.length,
      }).pipe(toMIResult()),
    );
    const seconds = (performance.now() - start) / 1000;
    clearInterval(sampler);
    table(
      ['file', 'rows', 'instances', 'rows/s', 'heap before', 'peak heap', 'growth'],
      [
        [
          `${(statSync(path).size / MiB).toFixed(0)} MiB`,
          rows.toLocaleString('en'),
          result.counters.succeeded.toLocaleString('en'),
          fmtOps(rows / seconds),
          `${(before / MiB).toFixed(1)} MiB`,
          `${(peak / MiB).toFixed(1)} MiB`,
          `${((peak - before) / MiB).toFixed(1)} MiB`,
        ],
      ],
    );
    console.log();
  } finally {
    rmSync(path, { force: true });
  }
}
