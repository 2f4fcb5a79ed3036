/** A one-cell smoke benchmark: `tsx --conditions=rxdaemon-source bench/quick-pool.ts [N] [c]`. */
import { contenders, tasks } from './pool.bench.js';
import { measure } from './harness.js';

const n = Number(process.argv[2] ?? 1_000_000);
const c = Number(process.argv[3] ?? 8);
const task = tasks['resolved promise']!;
for (const name of ['p-map', 'workerPool']) {
  const m = await measure(n, () => contenders[name]!(n, c, task));
  console.log(
    `${name.padEnd(10)} N=${n} c=${c}: ${m.nsPerOp.toFixed(0)} ns/op, heap ${m.heapMB.toFixed(1)} MB`,
  );
}
