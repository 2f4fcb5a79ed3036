import cors from '@fastify/cors';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { asapScheduler, asyncScheduler, type SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { parseConfig, schedulerSchema, withMethod } from '../../operators/internal/index.js';
import { AuthError } from '../errors.js';
import { miEvents } from '../instances/mi-channel.js';
import type { Daemon } from '../operations/daemon.js';
import { receiptLogSchema, type ReceiptLog } from '../receipts/receipt-log.js';
import type { ApiKeyAuth } from '../security/api-keys.js';
import type { RateLimiter } from '../security/rate-limiter.js';
import type { YawlEngine } from '../yawl/engine.js';
import { dashboardRoutes } from './dashboard/routes.js';
import { EventFeed } from './event-feed.js';
import { apiRoutes } from './routes.js';
import { SseClients } from './sse.js';
import { documentHeaders, forApi } from './security-headers.js';
import { sendError } from './send-error.js';

export interface ServerOptions {
  readonly daemon: Daemon;
  /** A YAWL engine whose events and cases the API shows. */
  readonly engine?: YawlEngine;
  /** Who may call `/api`: `createApiKeyAuth`. */
  readonly auth: ApiKeyAuth;
  /** Calls per key (per client address without a right one, wrong keys included): `createRateLimiter`. */
  readonly rateLimit?: RateLimiter;
  /** The receipt log whose Merkle root `/api/receipts/root` shows. */
  readonly receipts?: ReceiptLog;
  /** Largest request body in bytes (default 1 MiB); past it, 413. */
  readonly bodyLimit?: number;
  /** Origins allowed to call the API from a browser; none (CORS closed) by default. */
  readonly corsOrigins?: readonly string[];
  /** Events kept for `Last-Event-ID` resume (default 10,000). */
  readonly eventBuffer?: number;
  /** How long `close()` lets running operations finish (default 5,000 ms). */
  readonly drainMs?: number;
  /** Drives SSE heartbeats (default `asyncScheduler`). */
  readonly scheduler?: SchedulerLike;
  /** Fastify's logger (default off). */
  readonly logger?: boolean;
}

const optionsSchema = z.strictObject({
  daemon: withMethod('execute', 'a daemon (createDaemon)'),
  engine: withMethod('createCase', 'a YawlEngine').optional(),
  auth: withMethod('authenticate', 'createApiKeyAuth(…)'),
  rateLimit: withMethod('take', 'createRateLimiter(…)').optional(),
  receipts: receiptLogSchema.optional(),
  bodyLimit: z.number().int().min(1).optional(),
  corsOrigins: z.array(z.string().url()).optional(),
  eventBuffer: z.number().int().min(1).max(1_000_000).optional(),
  drainMs: z.number().finite().nonnegative().optional(),
  scheduler: schedulerSchema.optional(),
  logger: z.boolean().optional(),
});

/**
 * The control plane over a daemon: an HTTP API on Fastify 5 (helmet's security
 * headers, built once, CORS closed unless `corsOrigins`), every `/api` route behind `auth` and `rateLimit`,
 * `GET /api/events` as Server-Sent Events with `Last-Event-ID` resume, an OpenAPI document at
 * `/api/openapi.json`, and the dashboard at `/`. `await server.listen({ port, host })` serves it;
 * `server.close()` ends the event streams, drains the daemon (`drainMs`) and frees the port.
 *
 * @throws ConfigError naming every bad option
 */
export function createServer(options: ServerOptions): FastifyInstance {
  parseConfig('server options', optionsSchema, options);
  const { daemon, engine, auth, rateLimit } = options;
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? 1024 * 1024,
    // A request that never finishes sending must not hold a connection for ever.
    requestTimeout: 30_000,
    forceCloseConnections: true,
    // An id up to the schema's bound is judged by the schema (400 naming `id`), not cut off by the
    // router's default of 100 characters.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // A URL the router cannot take (bad percent-encoding, a parameter past the bound above) is
    // answered before any hook runs: in the API's format, with its headers, like every other answer.
    frameworkErrors: (error, _request, reply) => {
      forApi(reply);
      return sendError(reply, routerError(error));
    },
  });
  const feed = new EventFeed(
    { daemon: daemon.events, mi: miEvents(), yawl: engine?.events },
    options.eventBuffer ?? 10_000,
  );
  const sse = new SseClients(feed, options.scheduler ?? asyncScheduler, asapScheduler);

  if (options.corsOrigins?.length) void app.register(cors, { origin: [...options.corsOrigins] });

  // One callback hook for every request (not an async one: no promise, no extra turn): the API's
  // headers, its key and its rate; the dashboard's document headers.
  const dashboardHeaders = documentHeaders();
  app.addHook('onRequest', function guard(request, reply, done) {
    if (!request.url.startsWith('/api')) return dashboardHeaders.call(this, request, reply, done);
    forApi(reply);
    // A caller is rated by its key, or by its address when it has none that is right: a burst of
    // wrong keys is a burst like any other, answered 429 once the address's bucket is empty.
    let who: string | undefined;
    let rejected: AuthError | undefined;
    try {
      const outcome = auth.authenticate(presentedKey(request));
      if (outcome.authenticated) who = outcome.keyHash;
    } catch (error) {
      if (!(error instanceof AuthError)) return done(error as Error);
      rejected = error;
    }
    const decision = rateLimit?.take(who ?? `ip:${request.ip}`);
    if (rejected && decision?.allowed !== false) {
      reply
        .code(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: 'unauthorized', message: rejected.message });
      return;
    }
    if (decision && !decision.allowed) {
      reply
        .code(429)
        .header('retry-after', String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))))
        .send({
          error: 'rate-limited',
          message: `Too many requests; retry after ${decision.retryAfterMs} ms`,
        });
      return;
    }
    done();
  });

  app.setErrorHandler((error: unknown, _request, reply) => sendError(reply, error));
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: 'not-found', message: `No route ${request.method} ${request.url.split('?')[0]}` }),
  );

  void app.register(apiRoutes, { prefix: '/api', daemon, feed, sse, receipts: options.receipts });
  void app.register(dashboardRoutes);

  app.addHook('preClose', async () => {
    sse.close();
    feed.close();
  });
  app.addHook('onClose', async () => {
    await daemon.stop({ drainMs: options.drainMs ?? 5000 });
  });
  return app;
}

/** Longer than any id the API takes (`operationParams`), short of an abuse of the URL. */
const MAX_PARAM_LENGTH = 1000;

/** The router's error, saying what is wrong without echoing the URL (Fastify's message quotes it whole). */
function routerError(error: FastifyError): FastifyError | Error {
  const { code, statusCode } = error;
  if (code === 'FST_ERR_MAX_PARAM_LENGTH')
    return Object.assign(new Error(`A path segment is longer than ${MAX_PARAM_LENGTH} characters`), {
      statusCode,
    });
  if (code === 'FST_ERR_BAD_URL')
    return Object.assign(new Error('The path is not a valid URL (bad percent-encoding)'), { statusCode });
  return error;
}

const BEARER = /^bearer\s+/i;

/** `Authorization: Bearer <key>`, else `x-api-key`; undefined when neither is given. */
function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const scheme = typeof header === 'string' ? BEARER.exec(header) : null;
  if (scheme) return scheme.input.slice(scheme[0].length).trim();
  const key = request.headers['x-api-key'];
  return typeof key === 'string' ? key : undefined;
}
