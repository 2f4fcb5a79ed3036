/**
 * `npm run bench [-- --quick | --full]`: every benchmark, each figure a ratio against baselines run
 * in the same process. `--quick` stops at N = 100,000; `--full` also runs raw mergeMap at 1,000,000
 * (about 40 s a cell in rxjs 7.8).
 */
import { benchPool } from './pool.bench.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');

console.log(`rxdaemon benchmarks — Node ${process.version}, ${process.platform}/${process.arch}\n`);
await benchPool({
  sizes: quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000],
  concurrencies: [1, 8, 256, 10_000],
  full: args.has('--full'),
});
