import { Queue, QueueEvents, QueueEventsProducer } from 'bullmq';
import { Redis } from 'ioredis';
import { asyncScheduler, Observable, type SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { longDelays, parseConfig, schedulerSchema } from '../../operators/internal/index.js';
import { type JobContext, jobIdOf } from './job-id.js';
import { ConnectionLostError, decodeError } from './remote-error.js';

/** Where Redis is: what BullMQ and ioredis take (`host`, `port`, `password`, `db`, …). */
export interface RedisConnection {
  readonly host: string;
  readonly port: number;
  readonly password?: string;
  readonly db?: number;
}

export interface BullTransportOptions {
  readonly connection: RedisConnection;
  /** The BullMQ queue's name (default `'rxdaemon'`). */
  readonly queue?: string;
  /** How long finished jobs (and so their results, for resume) stay in Redis (default 24 h). */
  readonly retainMs?: number;
  /** A task fails with `ConnectionLostError` when Redis is not reachable within this (default 10 s). */
  readonly connectTimeoutMs?: number;
  readonly scheduler?: SchedulerLike;
}

/** A remote task: a `run` for `multipleInstance`, `workerPool` or a daemon operation. */
export type RemoteTask<I, R> = (input: I, context?: JobContext) => Observable<R>;

export interface BullTransport {
  /** The task handled by the workers' handler `name`. */
  task<I, R>(name: string): RemoteTask<I, R>;
  /**
   * A daemon operation's `run` on the workers' handler `name`: the run's payload is the input, its
   * job id comes from the run id and attempt, and cancelling the run cancels the job.
   */
  operation<P, R>(name: string): (context: OperationRunContext<P>) => Observable<R>;
  close(): Promise<void>;
}

/** What the transport reads of a daemon run's context. */
export interface OperationRunContext<P> {
  readonly runId: string;
  readonly attempt: number;
  readonly payload: P | undefined;
}

/** The event a transport publishes for workers to cancel an active job. */
export const CANCEL_EVENT = 'rxdaemon:cancel';

export const connectionSchema = z.looseObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  password: z.string().optional(),
  db: z.number().int().min(0).optional(),
});

const optionsSchema = z.strictObject({
  connection: connectionSchema,
  queue: z.string().min(1).optional(),
  retainMs: z.number().finite().positive().optional(),
  connectTimeoutMs: z.number().finite().positive().optional(),
  scheduler: schedulerSchema.optional(),
});

interface Waiter {
  settle(outcome: { ok: true; value: unknown } | { ok: false; reason: string }): void;
}

/**
 * Runs tasks as BullMQ jobs on workers (`startWorker`) over Redis (DESIGN.md §12). A remote task is
 * just a task: subscribing adds (or re-attaches to) its job, the job's result is the value, a failed
 * job an error carrying the remote name, message and `code`, and unsubscribing cancels — a waiting
 * job is removed, an active one is cancelled on whichever worker runs it (its signal aborts).
 *
 * @throws ConfigError for bad options, before anything connects
 */
export function createBullTransport(options: BullTransportOptions): BullTransport {
  parseConfig('BullMQ transport options', optionsSchema, options);
  const {
    connection,
    queue: name = 'rxdaemon',
    retainMs = 24 * 3_600_000,
    connectTimeoutMs = 10_000,
  } = options;
  const scheduler = longDelays(options.scheduler ?? asyncScheduler);
  const retain = { age: Math.ceil(retainMs / 1000) };
  // The queue's client is ours, so a transport that never reached Redis still shuts down at once
  // (BullMQ's close waits for a connection). The event stream and its producer are made only once
  // Redis answers: a QueueEvents waiting for a server keeps the process alive even when closed.
  const ignore = (): void => undefined;
  const client = new Redis({ ...connection, maxRetriesPerRequest: null });
  client.on('error', ignore);
  const queue = new Queue(name, {
    connection: client,
    defaultJobOptions: { attempts: 1, removeOnComplete: retain, removeOnFail: retain },
  });
  queue.on('error', ignore);
  const waiters = new Map<string, Set<Waiter>>();
  const settle = (jobId: string, outcome: Parameters<Waiter['settle']>[0]): void => {
    for (const waiter of waiters.get(jobId) ?? []) waiter.settle(outcome);
  };
  let events: QueueEvents | undefined;
  let producer: QueueEventsProducer | undefined;
  let closing = false;
  const ready = queue.waitUntilReady().then(async () => {
    if (closing) return;
    const redis = { ...connection, maxRetriesPerRequest: null };
    events = new QueueEvents(name, { connection: redis });
    producer = new QueueEventsProducer(name, { connection: redis });
    events.on('error', ignore);
    producer.on('error', ignore);
    events.on('completed', ({ jobId, returnvalue }) => settle(jobId, { ok: true, value: returnvalue }));
    events.on('failed', ({ jobId, failedReason }) => settle(jobId, { ok: false, reason: failedReason }));
    await Promise.all([events.waitUntilReady(), producer.waitUntilReady()]);
  });
  ready.catch(ignore); // each task reports it (as ConnectionLostError) when it waits

  const readyWithin = (): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const deadline = scheduler.schedule(
        () => reject(new ConnectionLostError(connectTimeoutMs)),
        connectTimeoutMs,
      );
      ready.then(
        () => (deadline.unsubscribe(), resolve()),
        () => undefined, // ioredis keeps retrying: the deadline decides
      );
    });

  const task =
    <I, R>(handler: string): RemoteTask<I, R> =>
    (input, context) =>
      new Observable<R>((subscriber) => {
        const jobId = jobIdOf(handler, context);
        let settled = false;
        let added: string | undefined;
        const waiter: Waiter = {
          settle: (outcome) => {
            if (settled) return;
            settled = true;
            forget();
            if (outcome.ok) {
              subscriber.next(outcome.value as R);
              subscriber.complete();
            } else subscriber.error(decodeError(outcome.reason));
          },
        };
        const watch = (id: string): void => {
          added = id;
          let set = waiters.get(id);
          if (!set) waiters.set(id, (set = new Set()));
          set.add(waiter);
        };
        const forget = (): void => {
          if (added === undefined) return;
          const set = waiters.get(added);
          set?.delete(waiter);
          if (set?.size === 0) waiters.delete(added);
        };
        void (async () => {
          await readyWithin();
          if (jobId !== undefined) {
            watch(jobId); // before looking: a job finishing in between is not missed
            const existing = await queue.getJob(jobId);
            if (existing) {
              const state = await existing.getState();
              if (state === 'completed') return waiter.settle({ ok: true, value: existing.returnvalue });
              if (state === 'failed') return waiter.settle({ ok: false, reason: existing.failedReason });
              return; // waiting, delayed or active: re-attached, its outcome will come
            }
          }
          if (settled || subscriber.closed) return;
          const job = await queue.add(
            handler,
            { input, attempt: context?.attempt ?? 1 },
            jobId ? { jobId } : {},
          );
          if (jobId === undefined) watch(job.id!);
          if (subscriber.closed) await cancel(job.id!);
        })().catch((error: unknown) => {
          if (!settled) {
            settled = true;
            forget();
            subscriber.error(error);
          }
        });
        return () => {
          if (settled) return;
          settled = true;
          forget();
          if (added !== undefined) void cancel(added).catch(() => undefined);
        };
      });

  /** A waiting or delayed job is removed; an active one is cancelled on its worker. */
  const cancel = async (jobId: string): Promise<void> => {
    const removed = await queue.remove(jobId).catch(() => 0);
    if (removed === 1) return;
    await producer?.publishEvent({ eventName: CANCEL_EVENT, jobId });
  };

  return {
    task,
    operation:
      <P, R>(handler: string) =>
      (context: OperationRunContext<P>): Observable<R> =>
        task<P | undefined, R>(handler)(context.payload, { runId: context.runId, attempt: context.attempt }),
    async close() {
      // A graceful close waits for a connection that may never come: a transport that never
      // reached Redis just disconnects.
      closing = true;
      await Promise.allSettled([producer?.close(), events?.close()]);
      if (events) await queue.close().catch(ignore);
      client.disconnect();
    },
  };
}
