#!/usr/bin/env node
/**
 * The `rxdaemon` command: `demo`, `run <module>`, `feed <patch | ->`, `verify <receipts.jsonl>`.
 * Exit codes: 0 done, 1 the work failed (or receipts are invalid), 2 a bad call (flags, files).
 */
import { closeSync, createReadStream, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { from, lastValueFrom, tap, toArray, VirtualTimeScheduler } from 'rxjs';
import { EngineError } from '../errors.js';
import type { MIDecidedEvent } from '../instances/mi-event.js';
import { createDaemon } from '../operations/daemon.js';
import { createReceiptLog } from '../receipts/receipt-log.js';
import { parseRdfPatch } from '../rdf/rdf-patch.js';
import { enrichSubjects, seeded, simulatedLookup, type SubjectHandler } from './feed-task.js';
import { progress } from './progress.js';
import { summarize } from './summary.js';
import { type Flags, isCommand, parse, positiveInteger } from './args.js';
import { loadDaemonModule } from './daemon-module.js';
import { assertFile, loadModule } from './load-module.js';
import { exitOnSecondSignal, serve, stopSignal } from './serve-command.js';
import { UsageError } from './usage-error.js';
import { verifyCommand } from './verify-command.js';
import { parseRedisUrl, runWorker } from './worker-command.js';

const HELP: Record<string, string> = {
  main: `rxdaemon — a reactive job and workflow engine

Usage: rxdaemon <command> [options]
       rxdaemon --version

Commands:
  demo                      enrich a bundled RDF change feed with a multiple-instance task
  run <module>              run the operations a module exports until SIGINT/SIGTERM
  feed <patch-file | ->     pipe an RDF Patch file (or stdin) into a multiple-instance task
  verify <receipts.jsonl>   verify exported receipts
  worker <module>           run a module's handlers as a BullMQ worker (rxdaemon/bullmq)
  serve <module>            run a module's operations with the HTTP API and dashboard

Run "rxdaemon <command> --help" for a command's options.
Exit codes: 0 done, 1 the work failed (or receipts are invalid), 2 a bad call (flags, files, input).`,
  demo: `Usage: rxdaemon demo [--concurrency N] [--threshold N] [--receipts FILE]

Parses examples/feed.rdfp (about 20,000 changes to 2,000 products, some transactions aborted),
groups the changes by product and enriches each product as one instance of an MI task (retries,
timeouts, a threshold rule), then prints counts by status, latency, throughput and the Merkle root.

  --concurrency N   instances at once (default 32)
  --threshold N     done after N products enriched, the rest cancelled (default 1900)
  --receipts FILE   also write the receipts as JSON lines (check them with "rxdaemon verify")`,
  feed: `Usage: rxdaemon feed <patch-file | -> [--concurrency N] [--threshold N] [--handler MODULE] [--receipts FILE]

Pipes an RDF Patch from a file, or from standard input with "-", into an MI task: one instance per
subject. --handler names a module whose default export is (group, context) => Promise; without it a
simulated lookup runs.`,
  run: `Usage: rxdaemon run <module> [--drain-ms N]

Loads a module (JS, or TS when tsx is installed) that exports "operations" (an array) and optionally
"daemon" (createDaemon's config), or a default export { daemon?, operations }. Runs them until SIGINT
or SIGTERM, then stops gracefully: running operations get --drain-ms (default 10000), then they are
cancelled, and the process exits within a second after that even if one ignores its signal. A second
SIGINT or SIGTERM exits at once (code 130).`,
  worker: `Usage: rxdaemon worker <module> --redis URL [--queue NAME] [--concurrency N] [--drain-ms N]

Runs the handlers a module exports (export const handlers = { name: (input, { signal }) => … }, a
default export of them, or its named function exports) as a BullMQ worker over Redis, for tasks sent
with createBullTransport(...).task(name). SIGTERM or SIGINT drains: running jobs get --drain-ms
(default 10000) to finish, then their signals abort; the process exits 0.

  --redis URL        redis://host:port[/db] (required)
  --queue NAME       the queue (default rxdaemon)
  --concurrency N    jobs at once (default 1)
  --lock-ms N        a job's lock term: a dead worker's jobs run again elsewhere after about two`,
  serve: `Usage: rxdaemon serve <module> [--port N] [--host ADDRESS] [--drain-ms N] [--rate N]

Runs the operations a module exports (as "run" does; an "engine" export adds its YAWL cases) with the
control plane: the HTTP API under /api and the dashboard at /. Every /api call needs an API key:
RXDAEMON_API_KEY (a key from generateApiKey) or RXDAEMON_API_KEY_HASHES (comma-separated hashApiKey
digests); with neither, a key is generated and printed once. SIGINT or SIGTERM ends the event
streams, drains running operations (--drain-ms, default 10000) and exits.

  --port N      default 8080 (0: any free port)
  --host ADDR   default 127.0.0.1 (loopback only; 0.0.0.0 to listen on every interface)
  --rate N      calls per second per key (bursts of 2N; default 20)`,
  verify: `Usage: rxdaemon verify <receipts.jsonl> [--checkpoint FILE --public-key KEY.pem | --root HEX --size N]

Checks every receipt's sequence, chain link and hash; exits 1 naming the first bad one. A log alone
cannot show it was not cut short, or rewritten and re-hashed: given an anchor — a checkpoint signed
with Ed25519 (signCheckpoint) and its public key, or a root and size kept elsewhere — it also checks
that the log's first N receipts still have that root.`,
};

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP.main);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    console.log(`rxdaemon ${version()}`);
    return 0;
  }
  if (!isCommand(command)) throw new UsageError(`unknown command "${command}" (try rxdaemon --help)`);
  const { values, positionals } = parse(rest, command);
  if (values.help) {
    console.log(HELP[command]);
    return 0;
  }
  switch (command) {
    case 'demo':
      return feed(readFeed(bundledFeed()), values, undefined, 'http://example.org/shop/product-');
    case 'feed': {
      const source = positionals[0];
      if (source === undefined) throw new UsageError('feed needs a patch file, or - for standard input');
      const handler = values.handler ? await loadHandler(values.handler) : undefined;
      return feed(source === '-' ? process.stdin : readFeed(source), values, handler, undefined);
    }
    case 'verify':
      return verifyCommand(positionals[0], values);
    case 'run':
      return run(positionals[0], values['drain-ms']);
    case 'serve':
      return serve(positionals[0], values);
    case 'worker': {
      const module = positionals[0];
      if (module === undefined) throw new UsageError('worker needs a handlers module');
      if (values.redis === undefined) throw new UsageError('worker needs --redis URL');
      return runWorker({
        module,
        connection: parseRedisUrl(values.redis),
        queue: values.queue,
        concurrency: positiveInteger('concurrency', values.concurrency, 1)!,
        drainMs: positiveInteger('drain-ms', values['drain-ms'], 10_000)!,
        lockMs: positiveInteger('lock-ms', values['lock-ms'], undefined),
      });
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

/** examples/feed.rdfp, next to src/ in a clone and next to dist/ in a package. */
function bundledFeed(): string {
  const candidates = ['../../examples/feed.rdfp', '../../../examples/feed.rdfp'].map(
    (p) => new URL(p, import.meta.url).pathname,
  );
  return candidates.find((path) => existsSync(path)) ?? candidates[0]!;
}

/** rxdaemon's own version, from the package.json next to src/ (or dist/). */
function version(): string {
  const candidates = ['../../package.json', '../../../package.json'].map((p) => new URL(p, import.meta.url));
  const found = candidates.find((url) => existsSync(url)) ?? candidates[0]!;
  return (JSON.parse(readFileSync(found, 'utf8')) as { version: string }).version;
}

function readFeed(path: string): NodeJS.ReadableStream {
  assertFile(path, 'patch file');
  return createReadStream(path);
}

/** Fails before any work starts when the receipts cannot be written there. */
function checkWritable(path: string | undefined): void {
  if (path === undefined) return;
  try {
    closeSync(openSync(path, 'w'));
  } catch (error) {
    const { code } = error as { code?: string };
    const why =
      code === 'EISDIR' ? 'it is a directory' : code === 'ENOENT' ? 'its folder does not exist' : code;
    throw new UsageError(`cannot write --receipts ${path}: ${why ?? (error as Error).message}`);
  }
}

async function loadHandler(path: string): Promise<SubjectHandler> {
  const module = await loadModule(path, 'handler module');
  if (typeof module.default !== 'function')
    throw new UsageError(`${path} must export a default function (group, context) => Promise`);
  return module.default as SubjectHandler;
}

/**
 * The demo and `feed`: a patch's changes grouped by subject (every subject of a file once; a
 * stream's within 50 ms windows), each group an MI instance. With `--seed` (and the simulated
 * lookup) the whole run is on a virtual clock: the same counts and Merkle root on any machine.
 */
async function feed(
  source: NodeJS.ReadableStream,
  flags: Flags,
  userHandler: SubjectHandler | undefined,
  subjectPrefix: string | undefined,
): Promise<number> {
  const concurrency = positiveInteger('concurrency', flags.concurrency, 32)!;
  const threshold = positiveInteger('threshold', flags.threshold, subjectPrefix ? 1900 : undefined);
  const seed = flags.seed === undefined ? undefined : positiveInteger('seed', flags.seed, undefined);
  if (seed !== undefined && userHandler)
    throw new UsageError('--seed drives the simulated lookup: not with --handler');
  checkWritable(flags.receipts);
  const scheduler = seed === undefined ? undefined : new VirtualTimeScheduler();
  const receipts = createReceiptLog();
  const bar = progress('enriching');
  const started = performance.now();
  let done = 0;
  let decided: MIDecidedEvent<unknown> | undefined;
  let changes = parseRdfPatch(source as AsyncIterable<Uint8Array>);
  // On a virtual clock, the feed is read first, so that the run itself is one synchronous flush.
  if (scheduler) changes = from(await lastValueFrom(changes.pipe(toArray())));
  const events = enrichSubjects(changes, {
    concurrency,
    threshold,
    handler: userHandler ?? simulatedLookup(seed, scheduler),
    receipts,
    grouping: source === process.stdin ? 'window' : 'subject',
    ...(scheduler ? { scheduler, random: seeded(`${seed}|retry jitter`) } : {}),
    ...(subjectPrefix ? { subjectPrefix } : {}),
  });
  const running = lastValueFrom(
    events.pipe(
      tap((event) => {
        if (event.type === 'succeeded' || event.type === 'failed')
          bar.update(++done, `${event.type === 'failed' ? 'last failure' : 'last'} ${event.instanceId}`);
        if (event.type === 'inputClosed') bar.setTotal(event.total);
        if (event.type === 'decided') decided = event;
      }),
    ),
    { defaultValue: undefined },
  );
  scheduler?.flush();
  await running;
  bar.stop();
  if (!decided) throw new Error('the task ended without a decision');
  if (flags.receipts) writeFileSync(flags.receipts, receipts.export());
  console.log(summarize(decided, performance.now() - started, receipts.root(), receipts.size));
  return decided.result.status === 'completed' ? 0 : 1;
}

async function run(path: string | undefined, drainMs: string | undefined): Promise<number> {
  if (path === undefined) throw new UsageError('run needs a module');
  const drain = positiveInteger('drain-ms', drainMs, 10_000)!;
  const { operations, daemon: config } = await loadDaemonModule(path);
  const daemon = createDaemon(config);
  for (const operation of operations) daemon.schedule(operation);
  daemon.events.subscribe((event) => {
    if (event.type === 'operation:succeeded' || event.type === 'operation:failed') {
      console.log(`${new Date(event.at).toISOString()} ${event.runId} ${event.result.status}`);
    }
  });
  daemon.start();
  console.log(`running ${operations.length} operation(s); SIGINT or SIGTERM stops`);
  const signal = await stopSignal();
  console.log(`${signal}: stopping (drain ${drain} ms; ${signal} again exits at once)`);
  exitOnSecondSignal();
  await daemon.stop({ drainMs: drain });
  const m = daemon.metrics();
  console.log(
    `summary: ${m.succeeded} succeeded, ${m.failed} failed, ${m.skipped} skipped, ${m.cancelled} cancelled; p50 ${m.latency.p50} ms, p99 ${m.latency.p99} ms`,
  );
  return 0;
}

/** Bad input the library refuses (a config, a patch, an id) is the caller's to fix, like a bad flag. */
const isBadInput = (error: unknown): boolean =>
  error instanceof UsageError ||
  (error instanceof EngineError &&
    ['CONFIG_INVALID', 'RDF_PATCH_INVALID', 'INJECTION_DETECTED', 'DUPLICATE_OPERATION'].includes(
      String(error.code),
    ));

/** One line, however long the message (a patch error quoting a 100 MB line must not). */
const oneLine = (text: string): string => {
  const line = text.split('\n')[0] ?? '';
  return line.length > 500 ? `${line.slice(0, 500)}…` : line;
};

// `rxdaemon demo | head`: a reader that went away is not an error of ours.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => finish(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`rxdaemon: ${oneLine(message)}`);
    if (!isBadInput(error) && process.env.RXDAEMON_DEBUG) console.error((error as Error)?.stack);
    finish(isBadInput(error) ? 2 : 1);
  },
);

/**
 * Exits with `code` once stdout has drained — and within a second even when something the user's
 * code left behind (a timer a task ignoring its signal set) would keep the process alive.
 */
function finish(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 1000).unref();
}
