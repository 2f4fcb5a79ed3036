/**
 * One server for the control-plane benchmark, in a process of its own: `bare` (a Fastify route
 * returning the JSON an execute returns), `daemon-route` (a Fastify route running the no-op through
 * `daemon.run`, the work without the control plane) or `control-plane` (createServer with auth and
 * rate limiting over a daemon with a no-op operation). Prints its URL, then serves until killed. Started
 * without the `rxdaemon-source` condition, it runs the built package (`dist`).
 */
import Fastify from 'fastify';
import { createApiKeyAuth, createDaemon, createRateLimiter, type Daemon, hashApiKey } from 'rxdaemon';
import { createServer } from 'rxdaemon/server';

const [kind, key = '', json = ''] = process.argv.slice(2);
let app;
if (kind === 'bare') {
  app = Fastify();
  app.post('/noop', (_request, reply) => reply.type('application/json; charset=utf-8').send(json));
} else {
  const daemon = createDaemon({ maxConcurrent: 64 });
  daemon.schedule({ id: 'noop', overlap: 'allow', run: ({ payload }) => payload ?? null });
  daemon.start();
  app =
    kind === 'daemon-route'
      ? daemonRoute(daemon)
      : createServer({
          daemon,
          auth: createApiKeyAuth({ hashes: [hashApiKey(key)], mode: 'required' }),
          rateLimit: createRateLimiter({ capacity: 1e9, refillPerSecond: 1e9 }),
        });
}
console.log(await app.listen({ port: 0, host: '127.0.0.1' }));

/** The no-op run through the daemon on a bare route: what execute does, without the control plane. */
function daemonRoute(daemon: Daemon) {
  const route = Fastify();
  route.post('/noop', (request, reply) => {
    daemon.run('noop', request.body ?? undefined).subscribe((result) => {
      void reply.type('application/json; charset=utf-8').send(JSON.stringify(result));
    });
    return reply;
  });
  return route;
}
