import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { SchedulerLike, Subscription } from 'rxjs';

/** How often watched jobs are checked for an outcome whose event was lost. */
export const SWEEP_MS = 5000;

/**
 * BullMQ's event stream is capped (about 10,000 entries): a reader that falls behind loses events,
 * and a task waiting for a lost `completed` would wait forever. So while jobs are watched, every
 * {@link SWEEP_MS} those watched for a whole period are looked up in the queue's finished sets (one
 * round trip for all), and each found finished is handed to `finished` to settle from Redis.
 * Returns a function that starts the sweeping if it is not running; it stops once nothing is watched.
 */
export function sweepLostEvents(
  queue: Queue,
  client: Redis,
  scheduler: SchedulerLike,
  watched: () => ReadonlySet<string> | Iterable<string>,
  finished: (jobId: string) => void,
): { start(): void; stop(): void } {
  let timer: Subscription | undefined;
  let running = false;
  let stopped = false;
  let previous = new Set<string>();
  const sweep = async (): Promise<void> => {
    const now = new Set(watched());
    const suspects = [...now].filter((id) => previous.has(id));
    previous = now;
    if (suspects.length === 0) return;
    const pipeline = client.pipeline();
    for (const id of suspects) {
      pipeline.zscore(queue.keys.completed!, id);
      pipeline.zscore(queue.keys.failed!, id);
    }
    const replies = (await pipeline.exec()) ?? [];
    suspects.forEach((id, i) => {
      if (replies[2 * i]?.[1] != null || replies[2 * i + 1]?.[1] != null) finished(id);
    });
  };
  const tick = (): void => {
    void sweep()
      .catch(() => undefined) // Redis away: the connection watch deals with that
      .finally(() => {
        running = previous.size > 0 && !stopped;
        if (running) timer = scheduler.schedule(tick, SWEEP_MS);
      });
  };
  return {
    start() {
      if (running || stopped) return;
      running = true;
      timer = scheduler.schedule(tick, SWEEP_MS);
    },
    stop() {
      stopped = true;
      timer?.unsubscribe();
    },
  };
}
