import type { FastifyReply } from 'fastify';
import { errorOf } from './wire.js';

/**
 * A client error keeps its status and says what was wrong (413 past the body limit, 400 for JSON
 * that does not parse, …); anything else is a 500 that says only that — never a stack trace.
 */
export function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const { code, message } = errorOf(error);
    return reply.code(status).send({ error: code ?? 'bad-request', message });
  }
  reply.log.error(error);
  return reply.code(500).send({ error: 'internal', message: 'Internal error' });
}
