import type { Redis } from 'ioredis';
import type { SchedulerLike, Subscription } from 'rxjs';
import { ConnectionLostError } from './remote-error.js';

export interface RedisLink {
  /** Whether Redis answers now. */
  readonly up: boolean;
  /** Resolves while Redis is reachable; rejects with ConnectionLostError past the bound. */
  reachable(): Promise<void>;
  close(): void;
}

export interface RedisLinkEvents {
  /** Redis has been down for the whole bound: every task waiting on it should fail. */
  lost(error: ConnectionLostError): void;
  /** Redis answers again after being down: what happened meanwhile must be checked. */
  back(): void;
}

/**
 * Whether a transport's Redis is reachable, judged on its own client (ioredis reconnects by itself):
 * a connection down for longer than `boundMs` is reported once as lost, and its return as back.
 * `initialised` is the transport's own start (queue, event stream): nothing is reachable before it.
 */
export function watchRedis(
  client: Redis,
  initialised: Promise<void>,
  scheduler: SchedulerLike,
  boundMs: number,
  events: RedisLinkEvents,
): RedisLink {
  let up = false;
  let wasUp = false;
  let lostTimer: Subscription | undefined;
  const waiting = new Set<() => void>();
  const onReady = (): void => {
    lostTimer?.unsubscribe();
    lostTimer = undefined;
    up = true;
    for (const wake of [...waiting]) wake();
    if (wasUp) events.back();
    wasUp = true;
  };
  initialised.then(onReady, () => undefined); // ioredis keeps retrying: the bound decides
  client.on('ready', () => {
    if (wasUp) onReady(); // the first `ready` is the transport's start, above
  });
  client.on('close', () => {
    if (!up) return;
    up = false;
    lostTimer = scheduler.schedule(() => {
      lostTimer = undefined;
      events.lost(new ConnectionLostError(boundMs));
    }, boundMs);
  });
  return {
    get up() {
      return up;
    },
    reachable: () =>
      up
        ? Promise.resolve()
        : new Promise<void>((resolve, reject) => {
            const wake = (): void => {
              waiting.delete(wake);
              deadline.unsubscribe();
              resolve();
            };
            const deadline = scheduler.schedule(() => {
              waiting.delete(wake);
              reject(new ConnectionLostError(boundMs));
            }, boundMs);
            waiting.add(wake);
          }),
    close() {
      lostTimer?.unsubscribe();
    },
  };
}

/**
 * A graceful close (which BullMQ makes wait for Redis), given `ms` to finish; past that — Redis is
 * gone — the connections are dropped instead, so closing never hangs.
 */
export async function closeWithin(
  ms: number,
  scheduler: SchedulerLike,
  graceful: Promise<unknown>,
  force: () => Promise<unknown>,
): Promise<void> {
  let deadline: Subscription | undefined;
  const late = new Promise<'late'>((resolve) => (deadline = scheduler.schedule(() => resolve('late'), ms)));
  const outcome = await Promise.race([
    graceful.then(
      () => 'closed' as const,
      () => 'late' as const,
    ),
    late,
  ]);
  deadline?.unsubscribe();
  if (outcome === 'late') await force().catch(() => undefined);
}

/** What BullMQ's queues, workers and event streams expose of their Redis clients. */
interface HasRedisClients {
  getBackend(): {
    readonly client: Promise<{ disconnect(): unknown }>;
    readonly blockingClient?: Promise<{ disconnect(): unknown }> | undefined;
  };
}

/**
 * Drops the Redis clients of BullMQ objects at once. BullMQ's own disconnect waits for ioredis's
 * `end`, which never comes while ioredis waits to reconnect to a server that is gone.
 */
export async function dropConnections(...owners: readonly (HasRedisClients | undefined)[]): Promise<void> {
  const clients = owners.flatMap((owner) => {
    const backend = owner?.getBackend();
    return backend ? [backend.client, backend.blockingClient] : [];
  });
  await Promise.allSettled(clients.map(async (client) => (await client)?.disconnect()));
}
