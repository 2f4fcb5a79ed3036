import type { FastifyReply } from 'fastify';
import { errorOf } from './wire.js';

/** The `error` of a client error by its status: words a client can switch on, not Fastify's codes. */
const CLIENT_ERRORS: Readonly<Record<number, string>> = {
  400: 'bad-request',
  404: 'not-found',
  413: 'payload-too-large',
  414: 'uri-too-long',
  415: 'unsupported-media-type',
};

/**
 * A client error keeps its status and says what was wrong (413 past the body limit, 400 naming
 * `body` for JSON that does not parse, …); anything else is a 500 that says only that — never a
 * stack trace.
 */
export function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const { code, message } = errorOf(error);
    // Fastify's content-type parser reports a body it could not read (empty, not JSON, …).
    const badBody = status === 400 && code?.startsWith('FST_ERR_CTP_') === true;
    return reply.code(status).send({
      error: CLIENT_ERRORS[status] ?? 'client-error',
      message,
      ...(badBody ? { fields: ['body'] } : {}),
    });
  }
  reply.log.error(error);
  return reply.code(500).send({ error: 'internal', message: 'Internal error' });
}
