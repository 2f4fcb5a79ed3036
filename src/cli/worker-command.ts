import type { RedisConnection, WorkerHandler } from '../distributed/index.js';

import { loadModule } from './load-module.js';
import { UsageError } from './usage-error.js';
export { UsageError };

/** `redis://[:password@]host:port[/db]` as a connection. */
export function parseRedisUrl(url: string): RedisConnection {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--redis must be a redis:// URL, got "${url}"`);
  }
  if (parsed.protocol !== 'redis:') throw new UsageError(`--redis must be a redis:// URL, got "${url}"`);
  const db = parsed.pathname.length > 1 ? Number(parsed.pathname.slice(1)) : undefined;
  if (db !== undefined && !Number.isInteger(db)) throw new UsageError(`--redis: bad database in "${url}"`);
  return {
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 6379,
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
    ...(db !== undefined ? { db } : {}),
  };
}

/**
 * The handlers a module exports: `export const handlers = { … }`, a default export of them, or its
 * named function exports.
 */
export async function loadHandlers(path: string): Promise<Record<string, WorkerHandler>> {
  const module = await loadModule(path, 'handlers module');
  const given = (module.handlers ?? module.default) as Record<string, unknown> | undefined;
  const source = given !== undefined && typeof given === 'object' ? given : module;
  const handlers = Object.fromEntries(
    Object.entries(source).filter(([, value]) => typeof value === 'function'),
  ) as Record<string, WorkerHandler>;
  if (Object.keys(handlers).length === 0)
    throw new UsageError(`${path} exports no handlers (functions by task name)`);
  return handlers;
}

/**
 * `rxdaemon worker <module> --redis URL`: runs the module's handlers on BullMQ until SIGTERM or
 * SIGINT, then drains — running jobs get `drainMs` to finish, then their signals abort — and returns.
 */
export async function runWorker(options: {
  readonly module: string;
  readonly connection: RedisConnection;
  readonly queue: string | undefined;
  readonly concurrency: number;
  readonly drainMs: number;
  readonly lockMs: number | undefined;
}): Promise<never> {
  const handlers = await loadHandlers(options.module);
  const { startWorker } = await import('../distributed/index.js'); // bullmq only for this command
  const worker = startWorker({
    connection: options.connection,
    handlers,
    concurrency: options.concurrency,
    ...(options.queue !== undefined ? { queue: options.queue } : {}),
    ...(options.lockMs !== undefined ? { lockDurationMs: options.lockMs } : {}),
  });
  console.log(`worker: ${Object.keys(handlers).join(', ')} on queue ${options.queue ?? 'rxdaemon'}`);
  const signal = await new Promise<string>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
  console.log(`${signal}: draining (up to ${options.drainMs} ms)`);
  await worker.close({ drainMs: options.drainMs });
  console.log('drained');
  // The handlers' module may hold connections of its own: the command ends here, as documented.
  process.exit(0);
}
