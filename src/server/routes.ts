import type { FastifyInstance, FastifyReply } from 'fastify';
import type { z } from 'zod';
import { DaemonNotRunningError, InjectionError, UnknownOperationError } from '../errors.js';
import { type Daemon, dispatchRun } from '../operations/daemon.js';
import type { ReceiptLog } from '../receipts/receipt-log.js';
import { assertSafeIdentifier } from '../security/injection.js';
import type { EventFeed } from './event-feed.js';
import { openApiDocument } from './openapi.js';
import { eventsQuery, operationParams, runsQuery } from './schemas.js';
import type { SseClients } from './sse.js';
import { sendError } from './send-error.js';
import { toWire } from './wire.js';

export interface ApiContext {
  readonly daemon: Daemon;
  readonly feed: EventFeed;
  readonly sse: SseClients;
  readonly receipts: ReceiptLog | undefined;
}

/** A client mistake: 400 naming the fields. */
class BadRequest extends Error {
  readonly statusCode = 400;
  constructor(
    message: string,
    readonly fields: readonly string[],
  ) {
    super(message);
  }
}

/** `value` through `schema`, or a 400 naming each field that is wrong. */
function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const fields = [...new Set(result.error.issues.map((i) => i.path.join('.') || where))];
  const detail = result.error.issues.map((i) => `${i.path.join('.') || where}: ${i.message}`).join('; ');
  throw new BadRequest(`Bad ${where}: ${detail}`, fields);
}

/**
 * An operation id from the path: one the daemon has, or else a safe identifier (else 400; the
 * route answers 404 for it). An id the daemon was given is taken as it is, spaces and all: the API
 * lists it, so it must be able to run it; only an id it does not know can be an attack on it.
 */
function operationId(params: unknown, daemon: Daemon): string {
  const { id } = parse(operationParams, params, 'path');
  try {
    assertSafeIdentifier(id);
  } catch (error) {
    if (!(error instanceof InjectionError)) throw error;
    if (!daemon.operations().some((operation) => operation.id === id))
      throw new BadRequest(error.message, ['id']);
  }
  return id;
}

const json = (reply: FastifyReply, value: unknown) =>
  reply.type('application/json; charset=utf-8').send(toWire(value));

/** What an API route's error answers: 400 naming fields, 404, 503, or `sendError`'s. */
function apiError(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof BadRequest)
    return reply.code(400).send({ error: 'bad-request', message: error.message, fields: error.fields });
  if (error instanceof UnknownOperationError)
    return reply.code(404).send({ error: 'unknown-operation', message: error.message });
  if (error instanceof DaemonNotRunningError)
    return reply.code(503).send({ error: 'not-running', message: error.message });
  return sendError(reply, error);
}

/** The `/api` routes (health, metrics, operations, runs, cases, receipts, events, OpenAPI). Authentication and rate limiting run before them (`createServer`). */
export async function apiRoutes(
  app: FastifyInstance,
  { daemon, feed, sse, receipts }: ApiContext,
): Promise<void> {
  app.setErrorHandler((error: unknown, _request, reply) => apiError(reply, error));

  app.get('/health', (_request, reply) => {
    const health = daemon.health();
    return json(reply.code(health.status === 'stopped' ? 503 : 200), health);
  });
  app.get('/metrics', (_request, reply) => json(reply, daemon.metrics()));
  app.get('/operations', (_request, reply) =>
    json(
      reply,
      daemon.operations().map((operation) => ({ ...operation, lastRun: daemon.recent(operation.id)[0] })),
    ),
  );
  app.get('/operations/:id/runs', (request, reply) => {
    const id = operationId(request.params, daemon);
    const { limit = 50 } = parse(runsQuery, request.query, 'query');
    if (!daemon.operations().some((o) => o.id === id)) throw new UnknownOperationError(id);
    return json(reply, daemon.recent(id).slice(0, limit));
  });
  app.post('/operations/:id/execute', (request, reply) => {
    const id = operationId(request.params, daemon);
    // The body is the payload; a client that goes away cancels its run. (Answered from a callback,
    // without a promise: a synchronous operation answers in the same turn.)
    // (A daemon that is not running, or no such operation, throws: the error handler answers.)
    // `settled`: answered, or the client left — then giving the run up reports it cancelled, and
    // that report is nobody's to send.
    let settled = false;
    const giveUp = daemon[dispatchRun](id, request.body ?? undefined, (result) => {
      if (settled) return;
      settled = true;
      json(reply, result);
    });
    // The response's 'close' (not the request's, which fires once its body is read): the client left.
    if (!settled) {
      reply.raw.on('close', () => {
        if (reply.raw.writableFinished || settled) return;
        settled = true;
        giveUp();
      });
    }
    return reply;
  });
  app.get('/cases', (_request, reply) => json(reply, feed.caseList()));
  app.get('/receipts/root', (_request, reply) => {
    if (!receipts)
      return reply.code(404).send({ error: 'no-receipts', message: 'This server has no receipt log' });
    return json(reply, { root: receipts.root(), size: receipts.size });
  });
  app.get('/openapi.json', (_request, reply) => json(reply, openApiDocument()));
  app.get('/events', (request, reply) => {
    const { lastEventId: fromQuery } = parse(eventsQuery, request.query, 'query');
    const header = request.headers['last-event-id'];
    const fromHeader = typeof header === 'string' && /^\d+$/.test(header) ? Number(header) : undefined;
    const headers = Object.fromEntries(
      Object.entries(reply.getHeaders()).map(([name, value]) => [name, String(value)]),
    );
    reply.hijack();
    sse.open(reply.raw, headers, fromHeader ?? fromQuery);
  });
}
