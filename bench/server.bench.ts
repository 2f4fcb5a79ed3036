/**
 * The control plane (issue 14), against baselines in the same process: `POST execute` of a no-op
 * operation through auth, rate limiting and the daemon, against a bare Fastify route that returns
 * the same JSON; SSE fan-out to 100 clients at 10,000 events/s; and the timing of a wrong API key
 * against a right one. The load generators run in a child process or a worker thread, so the
 * server's thread is the server's alone (on 2 cores: one each).
 */
import diagnostics from 'node:diagnostics_channel';
import { Agent, request } from 'node:http';
import { Worker } from 'node:worker_threads';
import type { AddressInfo } from 'node:net';
import { execFile, spawn } from 'node:child_process';
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

const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
const SERVER = new URL('./server-process.ts', import.meta.url).pathname;
const CONNECTIONS = 32;
const SECONDS = 5;

/**
 * autocannon in a child process (its CLI, `--json`): parsing ~10,000 responses a second costs a
 * core, which must not be the server's.
 */
async function load(
  url: string,
  headers: Record<string, string>,
  seconds = SECONDS,
): Promise<{ rps: number; p99: number; bad: number }> {
  const args = [
    AUTOCANNON,
    '--json',
    '-c',
    String(CONNECTIONS),
    '-d',
    String(seconds),
    '-m',
    'POST',
    '-b',
    '{"n":1}',
  ];
  for (const [name, value] of Object.entries({ 'content-type': 'application/json', ...headers }))
    args.push('-H', `${name}=${value}`);
  const output = await new Promise<string>((resolve, reject) =>
    execFile(process.execPath, [...args, url], { maxBuffer: 1 << 24 }, (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    ),
  );
  const result = JSON.parse(output) as {
    requests: { average: number };
    latency: { p99: number };
    non2xx: number;
    errors: number;
  };
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

/** A server of `server-process.ts` in a child process; resolves with its URL and a stop switch. */
async function serverProcess(args: readonly string[]): Promise<{ url: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=rxdaemon-source', SERVER, ...args],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`server-process exited with ${code}`)));
  });
  return { url, stop: () => child.kill() };
}

/**
 * Each server in a process of its own, the load in another (2 cores: one each), alternated three
 * times, the best run of each kept — this machine's speed drifts between runs.
 */
async function executeThroughput(): Promise<string[][]> {
  const key = generateApiKey();
  const ours = await serverProcess(['control-plane', key]);
  const headers = { authorization: `Bearer ${key}` };
  const url = `${ours.url}/api/operations/noop/execute`;
  // The JSON an execute returns, for the bare route to return.
  const sample = await (
    await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: '{"n":1}',
    })
  ).text();
  ours.stop();
  let baseline = { rps: 0, p99: 0, bad: 0 };
  let best = { rps: 0, p99: 0, bad: 0 };
  for (let round = 0; round < 3; round++) {
    const bare = await serverProcess(['bare', '', sample]);
    await load(`${bare.url}/noop`, {}, 2); // warm-up: JIT, lazily loaded modules
    const b = await load(`${bare.url}/noop`, {});
    bare.stop();
    const server = await serverProcess(['control-plane', key]);
    await load(`${server.url}/api/operations/noop/execute`, headers, 2);
    const o = await load(`${server.url}/api/operations/noop/execute`, headers);
    server.stop();
    if (b.rps > baseline.rps) baseline = b;
    if (o.rps > best.rps) best = o;
  }
  return [
    [
      'bare Fastify route, same JSON',
      `${Math.round(baseline.rps)}/s`,
      `${baseline.p99} ms`,
      '×1.00',
      String(baseline.bad),
    ],
    [
      'POST /api/operations/noop/execute (auth, rate limit, daemon)',
      `${Math.round(best.rps)}/s`,
      `${best.p99} ms`,
      `×${(best.rps / baseline.rps).toFixed(2)}`,
      String(best.bad),
    ],
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
      'heap after 1 s → at the end',
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
    `### Control plane: POST execute of a no-op operation, ${CONNECTIONS} connections, ${SECONDS} s (autocannon)\n`,
  );
  table(['server', 'requests/s', 'p99', 'vs bare', 'non-2xx'], await executeThroughput());
  console.log('### Control plane: SSE fan-out, 100 clients, 10,000 events/s for 10 s\n');
  table(['measure', 'figure', ''], await fanOut(100, 10_000, 10));
  console.log('### Control plane: API key check, 1,000 calls each, interleaved, one keep-alive connection\n');
  table(['key', 'median', 'p90'], await keyTiming());
}
