import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { fromEvent, lastValueFrom } from 'rxjs';
import {
  type ApiKeyAuth,
  createApiKeyAuth,
  createDaemon,
  createMemoryYawlEngine,
  createReceiptLog,
  type Daemon,
  generateApiKey,
  hashApiKey,
  type RateLimiter,
  runMultipleInstance,
  yawlThreshold,
} from 'rxdaemon';
import { createServer } from 'rxdaemon/server';

/** A control plane on a loopback port over a small demo daemon: `echo`, `boom` and an MI task `quotes`. */
export interface TestServer {
  readonly server: FastifyInstance;
  readonly daemon: Daemon;
  readonly base: string;
  readonly key: string;
  readonly engine: ReturnType<typeof createMemoryYawlEngine>;
  /** `fetch` with the key. */
  call(path: string, init?: RequestInit): Promise<Response>;
}

export async function startTestServer(
  options: {
    readonly rateLimit?: RateLimiter;
    readonly auth?: ApiKeyAuth;
    readonly eventBuffer?: number;
    readonly bodyLimit?: number;
    readonly corsOrigins?: readonly string[];
  } = {},
): Promise<TestServer> {
  const key = generateApiKey();
  const daemon = createDaemon({ maxConcurrent: 8 });
  daemon.schedule({ id: 'echo', overlap: 'allow', run: ({ payload }) => ({ echoed: payload ?? null }) });
  daemon.schedule({
    id: 'odd',
    run: () => {
      const shared = { n: 1 };
      const odd: Record<string, unknown> = { big: 10n ** 20n, pair: [shared, shared], at: () => 1 };
      odd.self = odd;
      return odd;
    },
  });
  daemon.schedule({
    id: 'sealed',
    run: () => ({
      toJSON() {
        throw new Error('no JSON for you');
      },
    }),
  });
  daemon.schedule({
    id: 'boom',
    run: () => {
      throw new Error('boom went the operation');
    },
  });
  // Twelve quotes, each 40–260 ms; done after five, the rest cancelled (WCP-34).
  daemon.schedule({
    id: 'quotes',
    overlap: 'allow',
    run: async ({ signal }) => {
      const decided = await lastValueFrom(
        runMultipleInstance(12, {
          taskId: 'quotes',
          concurrency: 12,
          completion: yawlThreshold(5),
          run: (i: number, context) =>
            new Promise<number>((resolve, reject) => {
              const timer = setTimeout(() => resolve(100 + i), 40 + ((i * 97) % 220));
              context.signal.addEventListener('abort', () => {
                clearTimeout(timer);
                reject(context.signal.reason);
              });
            }),
          // The run given up aborts the MI task (WCP-26), which cancels its instances.
          abort: fromEvent(signal, 'abort'),
        }),
      );
      return decided.type === 'decided' ? `${decided.status} (${decided.reason})` : 'undecided';
    },
  });
  daemon.start();
  const engine = createMemoryYawlEngine({
    workflows: [
      {
        id: 'Approval',
        input: 'i',
        output: 'o',
        conditions: [{ id: 'i', flows: ['approve'] }, { id: 'o' }],
        tasks: [{ id: 'approve', flows: [{ to: 'o' }] }],
      },
    ],
  });
  const receipts = createReceiptLog();
  receipts.append({ boot: 1 });
  const server = createServer({
    daemon,
    engine,
    receipts,
    auth: options.auth ?? createApiKeyAuth({ hashes: [hashApiKey(key)], mode: 'required' }),
    ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
    ...(options.eventBuffer ? { eventBuffer: options.eventBuffer } : {}),
    ...(options.bodyLimit ? { bodyLimit: options.bodyLimit } : {}),
    ...(options.corsOrigins ? { corsOrigins: options.corsOrigins } : {}),
    drainMs: 500,
  });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
  return {
    server,
    daemon,
    base,
    key,
    engine,
    call: (path, init = {}) =>
      fetch(base + path, { ...init, headers: { authorization: `Bearer ${key}`, ...(init.headers ?? {}) } }),
  };
}

/** Reads Server-Sent Events from a response until `until` says stop; returns them parsed. */
export async function readEvents(
  response: Response,
  until: (events: SseEvent[]) => boolean,
): Promise<SseEvent[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const events: SseEvent[] = [];
  let buffer = '';
  while (!until(events)) {
    const { done, value } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event: SseEvent = { id: undefined, event: 'message', data: '' };
      for (const line of block.split('\n')) {
        if (line.startsWith('id: ')) event.id = Number(line.slice(4));
        else if (line.startsWith('event: ')) event.event = line.slice(7);
        else if (line.startsWith('data: ')) event.data += line.slice(6);
      }
      if (event.data !== '') events.push(event);
    }
  }
  await reader.cancel();
  return events;
}

export interface SseEvent {
  id: number | undefined;
  event: string;
  data: string;
}
