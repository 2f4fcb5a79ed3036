import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { filter, firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  createApiKeyAuth,
  createDaemon,
  createRateLimiter,
  generateApiKey,
  hashApiKey,
} from 'rxdaemon';
import { createServer, openApiDocument } from 'rxdaemon/server';
import { readEvents, startTestServer, type TestServer } from './support/server.js';

let running: TestServer | undefined;
afterEach(async () => {
  await running?.server.close();
  running = undefined;
});
const start = async (options: Parameters<typeof startTestServer>[0] = {}) =>
  (running = await startTestServer(options));

describe('control plane: the HTTP API', () => {
  it('serves health, metrics, operations, runs, cases and the receipts root, with the key', async () => {
    const { call, engine } = await start();
    expect(await (await call('/api/health')).json()).toEqual({
      status: 'healthy',
      reason: expect.any(String),
    });
    const executed = await call('/api/operations/echo/execute', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sku: 'A-1', qty: 2 }),
    });
    expect(executed.status).toBe(200);
    expect(await executed.json()).toMatchObject({
      id: 'echo',
      status: 'succeeded',
      value: { echoed: { sku: 'A-1', qty: 2 } },
    });
    const operations = (await (await call('/api/operations')).json()) as {
      id: string;
      lastRun?: { status: string };
    }[];
    expect(operations.map((o) => o.id)).toEqual(['echo', 'odd', 'sealed', 'boom', 'quotes']);
    expect(operations[0]!.lastRun?.status).toBe('succeeded');
    expect(await (await call('/api/operations/echo/runs?limit=1')).json()).toHaveLength(1);
    expect(await (await call('/api/metrics')).json()).toMatchObject({ succeeded: 1, failed: 0 });
    engine.createCase('Approval', null, 'case-7');
    expect(await (await call('/api/cases')).json()).toEqual([
      expect.objectContaining({ caseId: 'case-7', workflowId: 'Approval', status: 'running' }),
    ]);
    expect(await (await call('/api/receipts/root')).json()).toEqual({
      root: expect.stringMatching(/^[0-9a-f]{64}$/),
      size: 1,
    });
  });

  it('a failed run is a 200 with its error as name and message — no stack trace anywhere', async () => {
    const { call } = await start();
    const response = await call('/api/operations/boom/execute', { method: 'POST' });
    const text = await response.text();
    expect(response.status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({
      status: 'failed',
      error: { name: 'Error', message: 'boom went the operation' },
    });
    expect(text).not.toMatch(/\n\s+at |\.ts:\d+/);
    // Values JSON cannot hold still make a response: a bigint as text, a cycle marked, a shared
    // object twice, a function left out.
    const odd = await (await call('/api/operations/odd/execute', { method: 'POST' })).json();
    expect(odd).toMatchObject({
      status: 'succeeded',
      value: { big: '100000000000000000000', pair: [{ n: 1 }, { n: 1 }], self: '[Circular]' },
    });
    // A toJSON that throws: the answer describes it, and the event stream carries on.
    const sealed = await (await call('/api/operations/sealed/execute', { method: 'POST' })).json();
    expect(sealed).toEqual({ unserializable: 'no JSON for you' });
    const events = await readEvents(await call('/api/events?lastEventId=0'), (e) =>
      e.some((event) => event.data.includes('unserializable')),
    );
    expect(events.length).toBeGreaterThan(0); // the stream carried on
  });

  it('missing, wrong and wrong-length keys are 401; Bearer and x-api-key both work', async () => {
    const { base, key } = await start();
    const status = async (headers: Record<string, string>) =>
      (await fetch(`${base}/api/metrics`, { headers })).status;
    expect(await status({})).toBe(401);
    expect(await status({ authorization: `Bearer ${generateApiKey()}` })).toBe(401); // right length, wrong key
    expect(await status({ authorization: `Bearer ${key.slice(0, -1)}` })).toBe(401);
    expect(await status({ authorization: `Bearer ${key}x` })).toBe(401);
    expect(await status({ authorization: `Basic ${key}` })).toBe(401);
    expect(await status({ authorization: `Bearer ${key}` })).toBe(200);
    expect(await status({ 'x-api-key': key })).toBe(200);
    const denied = await fetch(`${base}/api/events`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('a wrong key of the right length takes the time a right one does (1,000 interleaved tries)', async () => {
    const { base, key } = await start();
    const { port } = new URL(base);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const wrong = generateApiKey();
    const time = (presented: string) =>
      new Promise<number>((resolve, reject) => {
        const started = process.hrtime.bigint();
        request(
          {
            host: '127.0.0.1',
            port,
            path: '/api/health',
            agent,
            headers: { authorization: `Bearer ${presented}` },
          },
          (response) => {
            response.resume();
            response.on('end', () => resolve(Number(process.hrtime.bigint() - started) / 1000));
          },
        )
          .on('error', reject)
          .end();
      });
    try {
      for (let i = 0; i < 200; i++) await time(i % 2 ? key : wrong); // warm-up
      // Pairs side by side in time, alternating which goes first: whatever else the machine does
      // slows both of a pair, and the median of the pairs' differences sees only the key's path.
      const right: number[] = [];
      const differences: number[] = [];
      for (let i = 0; i < 1000; i++) {
        let r: number;
        let w: number;
        if (i % 2 === 0) {
          r = await time(key);
          w = await time(wrong);
        } else {
          w = await time(wrong);
          r = await time(key);
        }
        right.push(r);
        differences.push(w - r);
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
      // A 401 and a 200 answer differently, so they cannot cost exactly the same (3 % here); a
      // key check whose time told more would show as a larger difference. (The sharper check of the
      // key path itself, in-process, is in security.test.ts.)
      expect(Math.abs(median(differences))).toBeLessThan(0.1 * median(right));
    } finally {
      agent.destroy();
    }
  });

  it('unsafe ids in paths and bad queries are 400 naming the field; unknown operations 404', async () => {
    const { call } = await start();
    for (const id of ["x'%20OR%201=1--", '..%2F..%2Fetc%2Fpasswd', '%3Cscript%3E', 'a%3Bdrop']) {
      const response = await call(`/api/operations/${id}/execute`, { method: 'POST' });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: 'bad-request', fields: ['id'] });
    }
    const badLimit = await call('/api/operations/echo/runs?limit=lots');
    expect(badLimit.status).toBe(400);
    expect(await badLimit.json()).toMatchObject({ fields: ['limit'] });
    expect((await call('/api/operations/echo/runs?limit=1&extra=1')).status).toBe(400);
    expect((await call('/api/operations/nope/execute', { method: 'POST' })).status).toBe(404);
    expect((await call('/api/operations/nope/runs')).status).toBe(404);
    expect((await call('/api/nothing')).status).toBe(404);
  });

  it('an operation the daemon has runs whatever its id holds (spaces, slashes): the API lists it', async () => {
    const { call, daemon } = await start();
    for (const id of ['send report', 'reports/daily', "o'clock"]) {
      daemon.schedule({ id, run: () => id.length });
      const path = `/api/operations/${encodeURIComponent(id)}`;
      const response = await call(`${path}/execute`, { method: 'POST' });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ id, status: 'succeeded', value: id.length });
      expect(await (await call(`${path}/runs`)).json()).toEqual([expect.objectContaining({ id })]);
    }
    // The same characters in an id it does not have are still judged: 400, not 404.
    const unknown = await call(`/api/operations/${encodeURIComponent("it's")}/execute`, { method: 'POST' });
    expect(unknown.status).toBe(400);
  });

  it('a client that goes away cancels its run (signal aborted); a stopped daemon is 503', async () => {
    const { call, daemon } = await start();
    let aborted = false;
    daemon.schedule({
      id: 'hang',
      run: ({ signal }) =>
        new Promise((resolve) =>
          signal.addEventListener('abort', () => {
            aborted = true;
            resolve('too late');
          }),
        ),
    });
    const started = firstValueFrom(daemon.events.pipe(filter((e) => e.type === 'operation:started')));
    const client = new AbortController();
    const answer = call('/api/operations/hang/execute', { method: 'POST', signal: client.signal });
    await started;
    const cancelled = firstValueFrom(
      daemon.events.pipe(filter((e) => e.type === 'operation:cancelled' && e.operationId === 'hang')),
    );
    client.abort();
    await expect(answer).rejects.toThrow();
    expect((await cancelled).type).toBe('operation:cancelled');
    expect(aborted).toBe(true);
    await daemon.stop({ drainMs: 0 });
    const stopped = await call('/api/operations/echo/execute', { method: 'POST' });
    expect(stopped.status).toBe(503);
    expect(await stopped.json()).toMatchObject({ error: 'not-running' });
  });

  it('bodies past the limit are 413, JSON that does not parse 400', async () => {
    const { call } = await start({ bodyLimit: 1024 });
    const big = await call('/api/operations/echo/execute', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ blob: 'x'.repeat(4096) }),
    });
    expect(big.status).toBe(413);
    const broken = await call('/api/operations/echo/execute', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"unterminated": ',
    });
    expect(broken.status).toBe(400);
    const brokenBody = await broken.text();
    expect(brokenBody).not.toMatch(/\n\s+at /);
    expect(JSON.parse(brokenBody)).toMatchObject({ error: 'bad-request', fields: ['body'] });
    expect(await big.json()).toMatchObject({ error: 'payload-too-large' });
    const xml = await call('/api/operations/echo/execute', {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<a/>',
    });
    expect(xml.status).toBe(415);
    expect(await xml.json()).toMatchObject({ error: 'unsupported-media-type' });
  });

  it('a URL the router cannot take is answered in the API format, with its headers', async () => {
    const { call } = await start();
    // Past the schema's bound but within the router's: the schema names the field.
    const long = await call(`/api/operations/${'a'.repeat(300)}/execute`, { method: 'POST' });
    expect(long.status).toBe(400);
    expect(await long.json()).toMatchObject({ error: 'bad-request', fields: ['id'] });
    for (const [path, status, error] of [
      [`/api/operations/${'a'.repeat(5000)}/execute`, 414, 'uri-too-long'],
      ['/api/operations/%E0%A4%A/execute', 400, 'bad-request'],
    ] as const) {
      const response = await call(path, { method: 'POST' });
      expect(response.status).toBe(status);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('cache-control')).toBe('no-store');
      const body = await response.text();
      expect(JSON.parse(body)).toMatchObject({ error });
      expect(body.length).toBeLessThan(500); // the URL is not echoed back
    }
  });

  it('a burst over the rate is 429 with a Retry-After that is right', async () => {
    const { call } = await start({ rateLimit: createRateLimiter({ capacity: 3, refillPerSecond: 0.5 }) });
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const response = await call('/api/health');
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get('retry-after');
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(retryAfter).toBe('2'); // one token per 2 s
  });

  it('a burst of wrong keys is rated by the client address: 401 until its bucket is empty, then 429', async () => {
    const { base, call } = await start({
      rateLimit: createRateLimiter({ capacity: 3, refillPerSecond: 0.5 }),
    });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const guess = await fetch(`${base}/api/health`, { headers: { authorization: `Bearer rxd_${i}` } });
      statuses.push(guess.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    expect((await call('/api/health')).status).toBe(200); // a right key has a bucket of its own
  });

  it('security headers on every response; CORS closed unless configured', async () => {
    const { base, call } = await start();
    // The page: helmet's document headers, its own script only.
    const page = await fetch(`${base}/`);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    // The API, answered or refused: the OWASP REST set (loads nothing, not framed, not cached).
    for (const response of [
      await call('/api/health'),
      await fetch(`${base}/api/health`),
      await call('/api/nope'),
    ]) {
      expect(response.headers.get('content-security-policy')).toBe(
        "default-src 'none'; frame-ancestors 'none'",
      );
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('strict-transport-security')).toBeTruthy();
    }
    for (const response of [page, await fetch(`${base}/dashboard.js`)]) {
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('strict-transport-security')).toBeTruthy();
    }
    const preflight = await fetch(`${base}/api/health`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('CORS opens to the configured origins only', async () => {
    const { base } = await start({ corsOrigins: ['https://ops.example'] });
    const preflight = (origin: string) =>
      fetch(`${base}/api/health`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
    expect((await preflight('https://ops.example')).headers.get('access-control-allow-origin')).toBe(
      'https://ops.example',
    );
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('an OpenAPI 3.1 document generated from the zod schemas', async () => {
    const { call } = await start();
    const document = (await (await call('/api/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { parameters?: { name: string; schema: object }[] }>>;
    };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/api/operations/{id}/execute', '/api/events']),
    );
    expect(document.paths['/api/operations/{id}/runs']!.get!.parameters).toContainEqual(
      expect.objectContaining({
        name: 'limit',
        schema: expect.objectContaining({ type: 'integer', maximum: 1000 }),
      }),
    );
    expect(JSON.parse(JSON.stringify(openApiDocument()))).toEqual(document);
  });

  it('bad options are a ConfigError naming them', () => {
    expect(() =>
      createServer({ daemon: {} as never, auth: createApiKeyAuth({ hashes: [] }), bodyLimit: -1 }),
    ).toThrow(ConfigError);
    expect(() => createServer({ daemon: 'daemon' as never, auth: { take: () => true } as never })).toThrow(
      /daemon: must be a daemon \(createDaemon\).*auth: must be createApiKeyAuth/s,
    );
    expect(() =>
      createServer({
        daemon: createDaemon(),
        auth: createApiKeyAuth({ hashes: [hashApiKey(generateApiKey())] }),
        corsOrigins: ['not a url'],
      }),
    ).toThrow(/corsOrigins/);
  });
});

describe('control plane: Server-Sent Events', () => {
  it('streams daemon, MI and YAWL events with ids; Last-Event-ID resumes without a gap', async () => {
    const { call, engine } = await start();
    const stream = await call('/api/events');
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const quotes = call('/api/operations/quotes/execute', { method: 'POST' });
    const live = await readEvents(stream, (events) =>
      events.some((e) => e.event === 'daemon' && e.data.includes('"operation:succeeded"')),
    );
    expect((await (await quotes).json()) as object).toMatchObject({ value: 'completed (threshold)' });
    const mi = live.filter((e) => e.event === 'mi').map((e) => JSON.parse(e.data) as { type: string });
    expect(mi.filter((e) => e.type === 'succeeded').length).toBeGreaterThanOrEqual(5);
    expect(mi.some((e) => e.type === 'decided')).toBe(true);
    const ids = live.map((e) => e.id!);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    // Events while disconnected, then resume from the last id seen: the next ones, none missed.
    engine.createCase('Approval', null, 'c-resume');
    const resumed = await readEvents(
      await call('/api/events', { headers: { 'last-event-id': String(ids.at(-1)) } }),
      (events) => events.some((e) => e.data.includes('c-resume') && e.data.includes('task:enabled')),
    );
    expect(resumed[0]!.id).toBe(ids.at(-1)! + 1);
    expect(resumed.map((e) => e.event)).not.toContain('gap');
    expect(resumed.some((e) => e.event === 'yawl' && e.data.includes('"case:created"'))).toBe(true);
  });

  it('a client that missed more than the buffer holds is told so (a gap event) and gets what is left', async () => {
    const { call } = await start({ eventBuffer: 4 });
    for (let i = 0; i < 5; i++) await call('/api/operations/echo/execute', { method: 'POST' });
    const events = await readEvents(await call('/api/events?lastEventId=1'), (e) => e.length >= 5);
    expect(events[0]!.event).toBe('gap');
    expect(events.slice(1).map((e) => e.id)).toHaveLength(4);
  });

  it('close() ends the event streams, drains the daemon and frees the port', async () => {
    const test = await start();
    const stream = await test.call('/api/events');
    const reader = stream.body!.getReader();
    await reader.read(); // the retry line
    const port = Number(new URL(test.base).port);
    await test.server.close();
    running = undefined;
    expect((await reader.read()).done).toBe(true);
    expect(test.daemon.health().status).toBe('stopped');
    const refused = await new Promise<string>((resolve) =>
      connect(port, '127.0.0.1')
        .on('connect', () => resolve('connected'))
        .on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error')),
    );
    expect(refused).toBe('ECONNREFUSED');
  });
});
