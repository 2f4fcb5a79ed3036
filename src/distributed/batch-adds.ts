import type { Queue } from 'bullmq';

/** One job to add, and what to tell when its add fails. */
export interface PendingAdd {
  readonly name: string;
  readonly data: unknown;
  readonly jobId: string;
  /** `withdrawn` when the task was given up before its batch went out: it is not sent. */
  state: 'pending' | 'sent' | 'withdrawn';
  failed(error: Error): void;
}

/** BullMQ's `addBulk` is one MULTI: big batches are cut so no single one blocks Redis for long. */
const MAX_BATCH = 1000;

/**
 * Adds jobs in bulk: every add made in one turn of the event loop (a pool's first wave, the
 * instances that a batch of completions admits) goes to Redis as one `addBulk`, sent on the next
 * microtask. Commands on one connection run in order, so a cancel sent after an add finds its job.
 */
export function batchAdds(queue: Queue): (add: PendingAdd) => void {
  let pending: PendingAdd[] = [];
  const flush = (): void => {
    const batch = pending.filter((add) => add.state !== 'withdrawn');
    pending = [];
    for (const add of batch) add.state = 'sent';
    for (let i = 0; i < batch.length; i += MAX_BATCH) {
      const part = batch.slice(i, i + MAX_BATCH);
      queue
        .addBulk(part.map(({ name, data, jobId }) => ({ name, data, opts: { jobId } })))
        .catch((error: unknown) => {
          for (const add of part) add.failed(error instanceof Error ? error : new Error(String(error)));
        });
    }
  };
  return (add) => {
    if (pending.length === 0) queueMicrotask(flush);
    add.state = 'pending';
    pending.push(add);
  };
}
