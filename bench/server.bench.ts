/**
 * The control plane (issue 14), against baselines in the same process: `POST execute` of a no-op
 * operation through auth, rate limiting and the daemon, against a bare Fastify route that returns
 * the same JSON and one that runs the same no-op through `daemon.run` (the work, without the control
 * plane); SSE fan-out to 100 clients at 10,000 events/s; and the timing of a wrong API key
 * against a right one. For execute, both servers run built (as users run the package) in processes
 * of their own pinned to one CPU, this process the load on the others; the SSE clients run on a
 * worker thread, so the server's thread is the server's alone.
 */
import diagnostics from 'node:diagnostics_channel';
import { Agent, request } from 'node:http';
import { Worker } from 'node:worker_threads';
import type { AddressInfo } from 'node:net';
import { execFileSync, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import autocannon from 'autocannon';
import { createRequire } from 'node:module';
import {
  createApiKeyAuth,
  createDaemon,
  createRateLimiter,
  generateApiKey,
  hashApiKey,
  MI_CHANNEL,
} from 'rxdaemon';
import { createServer } from 'rxdaemon/server';
import { collectGarbage, table } from './harness.js';

const SERVER = new URL('./server-process.ts', import.meta.url).pathname;
const ROOT = new URL('..', import.meta.url).pathname;
const CONNECTIONS = 32;
/** Paired windows: short, alternating, many — this machine's speed drifts by ×2 over minutes. */
const ROUNDS = 20;
const WINDOW_SECONDS = 0.5;

interface Window {
  readonly rps: number;
  readonly p99: number;
  readonly bad: number;
}

/** One autocannon window from this (load) process. */
async function load(url: string, headers: Record<string, string>, seconds: number): Promise<Window> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    method: 'POST',
    body: '{"n":1}',
    headers: { 'content-type': 'application/json', ...headers },
  });
  return { rps: result.requests.average, p99: result.latency.p99, bad: result.non2xx + result.errors };
}

function controlPlane(key: string) {
  const daemon = createDaemon({ maxConcurrent: 64 });
  daemon.schedule({ id: 'noop', overlap: 'allow', run: ({ payload }) => payload ?? null });
  daemon.start();
  return createServer({
    daemon,
    auth: createApiKeyAuth({ hashes: [hashApiKey(key)], mode: 'required' }),
    rateLimit: createRateLimiter({ capacity: 1e9, refillPerSecond: 1e9 }),
  });
}

/** `taskset` with these arguments, when the machine has it; false when it does not. */
function taskset(args: readonly string[]): boolean {
  try {
    execFileSync('taskset', args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A server of `server-process.ts` in a child process on `cpu` (when pinning works), running the
 * built package (`dist`, as users run it — not the TypeScript sources through tsx); resolves with
 * its URL and a stop switch.
 */
async function serverProcess(
  args: readonly string[],
  cpu: number | undefined,
): Promise<{ url: string; stop: () => void }> {
  const node = [process.execPath, '--import', 'tsx', SERVER, ...args];
  const [command, ...rest] = cpu === undefined ? node : ['taskset', '-c', String(cpu), ...node];
  const child = spawn(command!, rest, { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`server-process exited with ${code}`)));
  });
  return { url, stop: () => child.kill() };
}

const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[sorted.length >> 1]!;
};

/**
 * Both servers up at once, each in a process of its own on the last CPU, this process (the load)
 * on the others; then ROUNDS rounds of a WINDOW_SECONDS window on each, alternating which goes
 * first. Each round's ratio compares two windows a second apart, so the machine's drift cancels;
 * the figures are medians over the rounds.
 */
async function executeThroughput(): Promise<string[][]> {
  execFileSync(
    process.execPath,
    [createRequire(import.meta.url).resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  const cpus = availableParallelism();
  const serverCpu =
    cpus >= 2 && taskset(['-p', '-c', `0-${cpus - 2}`, String(process.pid)]) ? cpus - 1 : undefined;
  const key = generateApiKey();
  const headers = { authorization: `Bearer ${key}` };
  const ours = await serverProcess(['control-plane', key], serverCpu);
  const execute = `${ours.url}/api/operations/noop/execute`;
  // The JSON an execute returns, for the bare route to return.
  const sample = await (
    await fetch(execute, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: '{"n":1}',
    })
  ).text();
  const bare = await serverProcess(['bare', '', sample], serverCpu);
  const work = await serverProcess(['daemon-route'], serverCpu);
  const targets = [
    { url: `${bare.url}/noop`, headers: {}, windows: [] as Window[] },
    { url: `${work.url}/noop`, headers: {}, windows: [] as Window[] },
    { url: execute, headers, windows: [] as Window[] },
  ];
  try {
    for (const target of targets) await load(target.url, target.headers, 2); // warm-up: JIT, lazy modules
    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts with another server: none is always first (or last) after a pause.
      for (let i = 0; i < targets.length; i++) {
        const target = targets[(round + i) % targets.length]!;
        target.windows.push(await load(target.url, target.headers, WINDOW_SECONDS));
      }
    }
  } finally {
    for (const server of [ours, bare, work]) server.stop();
    if (serverCpu !== undefined) taskset(['-p', '-c', `0-${cpus - 1}`, String(process.pid)]);
  }
  const [b, w, o] = targets.map((t) => t.windows) as [Window[], Window[], Window[]];
  const ratio = (of: Window[], to: Window[]) => median(of.map((x, i) => x.rps / to[i]!.rps));
  const executeRatios = o.map((x, i) => x.rps / b[i]!.rps);
  const row = (name: string, windows: Window[], vsBare: number, vsWork: string): string[] => [
    name,
    `${Math.round(median(windows.map((x) => x.rps)))}/s`,
    `${median(windows.map((x) => x.p99))} ms`,
    `×${vsBare.toFixed(2)}`,
    vsWork,
    String(windows.reduce((sum, x) => sum + x.bad, 0)),
  ];
  console.log(
    `Servers ${serverCpu === undefined ? 'unpinned' : `pinned to CPU ${serverCpu}, load on 0–${cpus - 2}`}; execute's ratio to bare in each round ${Math.min(...executeRatios).toFixed(2)}–${Math.max(...executeRatios).toFixed(2)}.\n`,
  );
  return [
    row('bare Fastify route, same JSON', b, 1, ''),
    row('bare route running the no-op through daemon.run (the work alone)', w, ratio(w, b), '×1.00'),
    row(
      'POST /api/operations/noop/execute (auth, rate limit, daemon)',
      o,
      ratio(o, b),
      `×${ratio(o, w).toFixed(2)}`,
    ),
  ];
}

/** SSE clients on a worker thread: each counts the events it receives, until asked for the counts. */
const SSE_CLIENTS = `
const { request, Agent } = require('node:http');
const { parentPort, workerData: { port, key, clients } } = require('node:worker_threads');
const agent = new Agent({ keepAlive: true, maxSockets: clients });
const received = new Array(clients).fill(0);
let open = 0;
for (let i = 0; i < clients; i++) {
  request({ host: '127.0.0.1', port, path: '/api/events', agent, headers: { authorization: 'Bearer ' + key } }, (response) => {
    let tail = ''; // a frame's start may straddle two chunks
    response.on('data', (chunk) => {
      const text = tail + chunk.toString('latin1');
      for (let at = text.indexOf('\\nid: '); at >= 0; at = text.indexOf('\\nid: ', at + 1)) received[i]++;
      tail = text.slice(-4);
    });
    if (++open === clients) parentPort.postMessage('open');
  }).end();
}
parentPort.on('message', () => parentPort.postMessage(received));
`;

/** 100 SSE clients; events published at `rate`/s for `seconds`; memory at the start and the end. */
async function fanOut(clients: number, rate: number, seconds: number): Promise<string[][]> {
  const key = generateApiKey();
  const server = controlPlane(key);
  await server.listen({ port: 0, host: '127.0.0.1' });
  const { port } = server.server.address() as AddressInfo;
  // The clients run on a worker thread (the other core): their parsing is not the server's cost.
  const readers = new Worker(SSE_CLIENTS, { eval: true, workerData: { port, key, clients } });
  await new Promise((ready) => readers.once('message', ready));
  const channel = diagnostics.channel(MI_CHANNEL);
  const event = {
    type: 'succeeded',
    taskId: 'bench',
    caseId: 'bench',
    at: 0,
    index: 0,
    instanceId: 'bench#0',
    value: 1,
    attempts: 1,
  };
  const samples: { at: number; rss: number; heap: number }[] = [];
  collectGarbage();
  let published = 0;
  const started = performance.now();
  await new Promise<void>((done) => {
    const tick = setInterval(() => {
      // Catch up to `rate` × elapsed, whatever the timer's drift.
      const elapsed = (performance.now() - started) / 1000;
      const due = Math.min(rate * seconds, Math.floor(rate * elapsed));
      while (published < due) channel.publish({ ...event, index: published++ });
      if (samples.length === 0 || elapsed - samples.at(-1)!.at >= 1) {
        // What is live, not what the collector has yet to reclaim: one full collection a second.
        collectGarbage();
        const { rss, heapUsed } = process.memoryUsage();
        samples.push({ at: elapsed, rss, heap: heapUsed });
      }
      if (elapsed >= seconds) {
        clearInterval(tick);
        done();
      }
    }, 10);
  });
  await new Promise((settle) => setTimeout(settle, 500));
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
  const after1s = samples.find((s) => s.at >= 1) ?? samples[0]!;
  const last = samples.at(-1)!;
  readers.postMessage('count');
  const received = (await new Promise((done) => readers.once('message', done))) as number[];
  await readers.terminate();
  const delivered = received.reduce((a, b) => a + b, 0) / clients;
  await server.close();
  return [
    [
      'events published',
      published.toLocaleString('en'),
      `${Math.round(published / seconds).toLocaleString('en')}/s`,
    ],
    [
      'events received per client (mean)',
      Math.round(delivered).toLocaleString('en'),
      `${((100 * delivered) / published).toFixed(1)} %`,
    ],
    [
      'RSS after 1 s → at the end',
      `${mb(after1s.rss)} → ${mb(last.rss)}`,
      `${mb(last.rss - after1s.rss)} growth`,
    ],
    [
      'live heap (after a full GC) at 1 s → at the end',
      `${mb(after1s.heap)} → ${mb(last.heap)}`,
      `${mb(last.heap - after1s.heap)} growth`,
    ],
  ];
}

/** Median and p90 of 1,000 calls each with a right and a wrong key of the same length, interleaved. */
async function keyTiming(): Promise<string[][]> {
  const key = generateApiKey();
  const wrong = generateApiKey();
  const server = controlPlane(key);
  await server.listen({ port: 0, host: '127.0.0.1' });
  const { port } = server.server.address() as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const call = (k: string) =>
    new Promise<number>((resolve) => {
      const t0 = process.hrtime.bigint();
      request(
        { host: '127.0.0.1', port, path: '/api/health', agent, headers: { authorization: `Bearer ${k}` } },
        (response) => {
          response.resume();
          response.on('end', () => resolve(Number(process.hrtime.bigint() - t0) / 1000));
        },
      ).end();
    });
  for (let i = 0; i < 200; i++) await call(i % 2 ? key : wrong); // warm-up
  const right: number[] = [];
  const bad: number[] = [];
  for (let i = 0; i < 1000; i++) {
    right.push(await call(key));
    bad.push(await call(wrong));
  }
  agent.destroy();
  await server.close();
  const at = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.floor(q * (xs.length - 1))]!;
  return [
    ['right key (200)', `${at(right, 0.5).toFixed(0)} µs`, `${at(right, 0.9).toFixed(0)} µs`],
    ['wrong key, same length (401)', `${at(bad, 0.5).toFixed(0)} µs`, `${at(bad, 0.9).toFixed(0)} µs`],
    ['difference of medians', `${(at(bad, 0.5) - at(right, 0.5)).toFixed(0)} µs`, ''],
  ];
}

export async function benchServer(): Promise<void> {
  console.log(
    `### Control plane: POST execute of a no-op operation, ${CONNECTIONS} connections, ${ROUNDS} paired ${WINDOW_SECONDS} s windows (autocannon)\n`,
  );
  table(
    ['server', 'requests/s', 'p99', 'vs bare', 'vs the work alone', 'non-2xx'],
    await executeThroughput(),
  );
  console.log('### Control plane: SSE fan-out, 100 clients, 10,000 events/s for 10 s\n');
  table(['measure', 'figure', ''], await fanOut(100, 10_000, 10));
  console.log('### Control plane: API key check, 1,000 calls each, interleaved, one keep-alive connection\n');
  table(['key', 'median', 'p90'], await keyTiming());
}
