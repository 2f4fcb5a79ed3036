import { createDaemon } from '../operations/daemon.js';
import { createReceiptLog } from '../receipts/receipt-log.js';
import { createApiKeyAuth, generateApiKey, hashApiKey } from '../security/api-keys.js';
import { createRateLimiter } from '../security/rate-limiter.js';
import { positiveInteger } from './args.js';
import { loadDaemonModule } from './daemon-module.js';
import { UsageError } from './usage-error.js';

/** Resolves with the first SIGINT or SIGTERM. */
export function stopSignal(): Promise<string> {
  return new Promise<string>((done) => {
    process.once('SIGINT', () => done('SIGINT'));
    process.once('SIGTERM', () => done('SIGTERM'));
  });
}

/** A second SIGINT or SIGTERM while stopping exits at once (130). */
export function exitOnSecondSignal(): void {
  const again = (): never => process.exit(130);
  process.once('SIGINT', again);
  process.once('SIGTERM', again);
}

export interface ServeFlags {
  readonly port?: string | undefined;
  readonly host?: string | undefined;
  readonly 'drain-ms'?: string | undefined;
  readonly rate?: string | undefined;
}

/**
 * `rxdaemon serve <module>`: the module's operations on a daemon (with a receipt log), and the
 * control plane over it. Keys: the hashes in `RXDAEMON_API_KEY_HASHES` (comma-separated, from
 * `hashApiKey`), or the key in `RXDAEMON_API_KEY`; with neither, a key is generated and printed once.
 */
export async function serve(path: string | undefined, flags: ServeFlags): Promise<number> {
  if (path === undefined) throw new UsageError('serve needs a module');
  const port = positiveInteger('port', flags.port, 8080, { min: 0, max: 65535 })!;
  const host = flags.host ?? '127.0.0.1';
  const drainMs = positiveInteger('drain-ms', flags['drain-ms'], 10_000)!;
  const rate = positiveInteger('rate', flags.rate, 20)!;
  const { hashes, generated } = apiKeyHashes();
  // Loaded only here: the rest of the command line (and the library) does not need Fastify.
  const { createServer } = await import('../server/create-server.js');
  const { operations, daemon: config, engine } = await loadDaemonModule(path);
  const receipts = config.receipts ?? createReceiptLog();
  const daemon = createDaemon({ ...config, receipts });
  for (const operation of operations) daemon.schedule(operation);
  daemon.start();
  const server = createServer({
    daemon,
    ...(engine ? { engine } : {}),
    receipts,
    auth: createApiKeyAuth({ hashes, mode: 'required' }),
    rateLimit: createRateLimiter({ capacity: rate * 2, refillPerSecond: rate }),
    drainMs,
  });
  let address: string;
  try {
    address = await server.listen({ port, host });
  } catch (error) {
    await daemon.stop({ drainMs: 0 });
    throw new UsageError(`cannot listen on ${host}:${port}: ${(error as Error).message}`);
  }
  if (generated) console.error(`API key (shown once; set RXDAEMON_API_KEY to choose one): ${generated}`);
  console.log(`serving ${operations.length} operation(s) on ${address} — dashboard at ${address}/`);
  const signal = await stopSignal();
  console.log(`${signal}: closing (drain ${drainMs} ms; ${signal} again exits at once)`);
  exitOnSecondSignal();
  await server.close();
  return 0;
}

function apiKeyHashes(): { hashes: string[]; generated: string | undefined } {
  const listed = process.env.RXDAEMON_API_KEY_HASHES?.split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  if (listed?.length) {
    const bad = listed.find((hash) => !/^[0-9a-f]{64}$/.test(hash));
    if (bad !== undefined)
      throw new UsageError(`RXDAEMON_API_KEY_HASHES: "${bad.slice(0, 20)}" is not a hashApiKey digest`);
    return { hashes: listed, generated: undefined };
  }
  const given = process.env.RXDAEMON_API_KEY;
  if (given) {
    if (!/^rxd_[A-Za-z0-9_-]{43}$/.test(given))
      throw new UsageError(
        'RXDAEMON_API_KEY is not an rxdaemon key (generateApiKey: rxd_ and 43 base64url characters)',
      );
    return { hashes: [hashApiKey(given)], generated: undefined };
  }
  const key = generateApiKey();
  return { hashes: [hashApiKey(key)], generated: key };
}
