import type { FastifyInstance } from 'fastify';
import { DASHBOARD_HTML } from './page.js';
import { DASHBOARD_SCRIPT } from './script.js';

/** `GET /` (the page) and `GET /dashboard.js`: public — the page asks for the key, the API checks it. */
export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  app.get('/', (_request, reply) => reply.type('text/html; charset=utf-8').send(DASHBOARD_HTML));
  app.get('/favicon.ico', (_request, reply) => reply.code(204).send());
  app.get('/dashboard.js', (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(DASHBOARD_SCRIPT),
  );
}
