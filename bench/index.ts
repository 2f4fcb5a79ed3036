/**
 * `npm run bench [-- --quick | --full] [-- pool | mi | daemon | receipts | rdf | server | distributed | rdf-pull]`: every benchmark, each figure a ratio against
 * baselines run in the same process. `--quick` stops at N = 100,000; `--full` also runs raw mergeMap
 * at 1,000,000 (about 40 s a cell in rxjs 7.8). Naming suites runs only those.
 */
import { benchDaemon } from './daemon.bench.js';
import { benchDistributed } from './distributed.bench.js';
import { benchEarlyCompletion, benchMIMemory, benchMIThroughput, benchTelemetryCost } from './mi.bench.js';
import { benchPool } from './pool.bench.js';
import { benchRdf } from './rdf.bench.js';
import { benchRdfPull } from './rdf-pull.bench.js';
import { benchReceipts } from './receipts.bench.js';
import { benchServer } from './server.bench.js';

const args = process.argv.slice(2);
const flags = new Set(args.filter((a) => a.startsWith('--')));
const suites = args.filter((a) => !a.startsWith('--'));
const wants = (suite: string) => suites.length === 0 || suites.includes(suite);
const quick = flags.has('--quick');
const full = flags.has('--full');
const sizes = quick ? [10_000, 100_000] : [10_000, 100_000, 1_000_000];

console.log(`rxdaemon benchmarks — Node ${process.version}, ${process.platform}/${process.arch}\n`);
if (wants('pool')) await benchPool({ sizes, concurrencies: [1, 8, 256, 10_000], full });
if (wants('mi')) {
  await benchMIThroughput(quick ? [100_000] : [100_000, 1_000_000], full);
  await benchMIMemory();
  await benchEarlyCompletion();
  await benchTelemetryCost();
}
if (wants('daemon')) await benchDaemon();
if (wants('receipts')) await benchReceipts();
if (wants('rdf')) await benchRdf();
if (wants('server')) await benchServer();
if (suites.includes('distributed')) await benchDistributed(); // needs redis-server: only when named
if (suites.includes('rdf-pull')) await benchRdfPull(); // writes 1 GiB to the temp folder: only when named
