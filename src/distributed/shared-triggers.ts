import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import { Observable, type SchedulerLike, type Subscriber } from 'rxjs';
import type { TimeTriggerConfig } from '../operations/types.js';
import type { TriggerFire } from '../triggers/trigger-fire.js';
import { dropConnections } from './redis-link.js';
import type { RedisConnection } from './transport.js';

/** What a shared tick carries as its fire's `cause`: the tick job's id names the run's job. */
export interface SharedTick {
  readonly tickJobId: string;
}

/** Whether a fire came from a shared trigger (its tick's id makes its run's job id). */
export function isSharedTick(cause: unknown): cause is SharedTick {
  return typeof (cause as SharedTick | undefined)?.tickJobId === 'string';
}

/**
 * A tick that reaches a daemon not listening to its operation (stopping, or not scheduling it) is
 * handed back for another daemon this much later, until it is older than {@link STALE_AFTER_MS}.
 */
const HAND_BACK_MS = 100;
const STALE_AFTER_MS = 60_000;

/** How many ticks one daemon takes at once: a tick is only handed to the daemon, so this is cheap. */
const TICK_CONCURRENCY = 32;

export interface SharedTriggers {
  trigger(operationId: string, config: TimeTriggerConfig): Observable<TriggerFire>;
  /** Removes an operation's job scheduler from Redis: no daemon sharing the queue fires it again. */
  remove(operationId: string): Promise<boolean>;
  /** Closes the tick worker and queue; `force` drops their connections (Redis is gone). */
  close(force?: boolean): Promise<void>;
}

/**
 * Interval and cron triggers as BullMQ job schedulers on the queue `<queue>-ticks`: every daemon
 * sharing it upserts the same scheduler (its id is the operation's id), BullMQ makes one job per
 * tick, and each tick job is taken by one daemon's tick worker, which fires the operation there.
 * A tick is at-most-once per daemon crash (it is done once handed over); its run's job id comes
 * from the tick, so a run is done once per tick.
 *
 * The queue and its worker are made on first use: a transport that shares no trigger opens nothing.
 */
export function sharedTriggers(
  connection: RedisConnection,
  queueName: string,
  scheduler: SchedulerLike,
): SharedTriggers {
  const name = `${queueName}-ticks`;
  const listeners = new Map<string, Set<Subscriber<TriggerFire>>>();
  const redis = { ...connection, maxRetriesPerRequest: null };
  let queue: Queue | undefined;
  let worker: Worker | undefined;
  let closed = false;

  const fire = async (job: Job, token?: string): Promise<void> => {
    const scheduledFor = (job.opts as { prevMillis?: number }).prevMillis ?? job.timestamp;
    const now = scheduler.now();
    const subscribers = listeners.get(job.name);
    const subscriber = subscribers?.values().next().value;
    if (subscriber === undefined) {
      if (now - scheduledFor > STALE_AFTER_MS) return; // nobody took it for a minute: dropped
      await job.moveToDelayed(now + HAND_BACK_MS, token);
      throw new DelayedError();
    }
    const { kind } = job.data as { kind: TimeTriggerConfig['type'] };
    subscriber.next({ kind, at: now, scheduledFor, cause: { tickJobId: job.id! } satisfies SharedTick });
  };

  const started = (): Queue => {
    if (queue) return queue;
    queue = new Queue(name, { connection: redis });
    queue.on('error', () => undefined);
    worker = new Worker(name, fire, { connection: redis, concurrency: TICK_CONCURRENCY });
    worker.on('error', () => undefined);
    return queue;
  };

  return {
    trigger: (operationId, config) =>
      new Observable<TriggerFire>((subscriber) => {
        if (closed) return subscriber.error(new Error('the transport is closed'));
        let set = listeners.get(operationId);
        if (!set) listeners.set(operationId, (set = new Set()));
        set.add(subscriber);
        const repeat =
          config.type === 'interval'
            ? { every: config.ms }
            : { pattern: config.expression, tz: config.tz ?? 'UTC' };
        started()
          .upsertJobScheduler(operationId, repeat, {
            name: operationId,
            data: { kind: config.type },
            opts: { removeOnComplete: true, removeOnFail: 100 },
          })
          .catch((error: unknown) => subscriber.error(error));
        return () => {
          set.delete(subscriber);
          if (set.size === 0) listeners.delete(operationId);
        };
      }),
    remove: (operationId) => started().removeJobScheduler(operationId),
    async close(force = false) {
      closed = true;
      if (force) return dropConnections(worker, queue);
      await worker?.close();
      await queue?.close();
    },
  };
}
