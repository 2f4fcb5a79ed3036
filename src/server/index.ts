/**
 * `rxdaemon/server`: the control plane — an HTTP API, Server-Sent Events and a live dashboard over a
 * daemon, on Fastify 5.
 */
export { createServer, type ServerOptions } from './create-server.js';
export type { CaseSummary } from './event-feed.js';
export { openApiDocument } from './openapi.js';
