import { context as otelContext, propagation } from '@opentelemetry/api';
import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents, QueueEventsProducer } from 'bullmq';
import { Redis } from 'ioredis';
import { asyncScheduler, Observable, type SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { longDelays, parseConfig, schedulerSchema } from '../../operators/internal/index.js';
import { CancelledError } from '../errors.js';
import type { OperationContext, TriggerTransport } from '../operations/types.js';
import type { TriggerFire } from '../triggers/trigger-fire.js';
import { type JobContext, jobIdOf } from './job-id.js';
import { batchAdds, type PendingAdd } from './batch-adds.js';
import { sweepLostEvents } from './lost-events.js';
import { closeWithin, dropConnections, watchRedis } from './redis-link.js';
import { assertJson } from '../receipts/canonical-json.js';
import { ConnectionLostError, decodeError } from './remote-error.js';
import { isSharedTick, sharedTriggers } from './shared-triggers.js';

/** Where Redis is: what BullMQ and ioredis take (`host`, `port`, `password`, `db`, …). */
export interface RedisConnection {
  readonly host: string;
  readonly port: number;
  readonly password?: string;
  readonly db?: number;
}

export interface BullTransportOptions {
  readonly connection: RedisConnection;
  /** The BullMQ queue's name (default `'rxdaemon'`): letters, digits, `_`, `.` and `-`. */
  readonly queue?: string;
  /** How long finished jobs (and so their results, for resume) stay in Redis (default 24 h). */
  readonly retainMs?: number;
  /**
   * How long Redis may be unreachable — at the start or mid-run — before the tasks waiting on it
   * fail with `ConnectionLostError` (default 10 s).
   */
  readonly connectTimeoutMs?: number;
  readonly scheduler?: SchedulerLike;
}

/**
 * A remote task: a `run` for `multipleInstance` and `workerPool` (`(input, context)`), and for a
 * daemon operation as it is (`(context)`: the run's payload is the input, as with
 * {@link BullTransport.operation}). One signature, not two overloads: TypeScript infers a generic
 * `run`'s types from an overloaded function's last signature only, which would serve one use of
 * the two.
 */
export type RemoteTask<I, R> = (input: I | OperationContext<I>, context?: JobContext) => Observable<R>;

export interface BullTransport extends TriggerTransport {
  /** The task handled by the workers' handler `name`. */
  task<I, R>(name: string): RemoteTask<I, R>;
  /**
   * A daemon operation's `run` on the workers' handler `name`: the run's payload is the input, and
   * cancelling the run cancels the job. A run fired by a shared tick is one job per tick.
   */
  operation<P, R>(name: string): (context: OperationRunContext<P>) => Observable<R>;
  /**
   * Removes an operation's shared trigger (its BullMQ job scheduler) from Redis: no daemon on this
   * queue fires it again. Unsubscribing does not, since other daemons may share it.
   */
  removeSharedTrigger(operationId: string): Promise<boolean>;
  close(): Promise<void>;
}

/** What the transport reads of a daemon run's context. */
export interface OperationRunContext<P> {
  readonly runId: string;
  readonly attempt: number;
  readonly payload: P | undefined;
  readonly trigger?: TriggerFire | undefined;
}

/** The event a transport publishes for workers to cancel an active job. */
export const CANCEL_EVENT = 'rxdaemon:cancel';

/**
 * Cancels go on an event stream of their own: workers listening on the queue's stream would read
 * (and parse) every job's lifecycle events just to find the rare cancel among them.
 */
export const cancelChannelOf = (queue: string): string => `${queue}-cancel`;

export const connectionSchema = z.looseObject({
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  password: z.string().optional(),
  db: z.number().int().min(0).optional(),
});

/** BullMQ builds Redis keys from the name with `:` between parts: only a plain name is safe. */
export const queueNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/, "must be 1–100 letters, digits, '_', '.' or '-'");

/** A worker handler's name, as `startWorker({ handlers })` keys it. */
const handlerNameSchema = z.strictObject({ handler: z.string().min(1, 'must be a non-empty string') });

const optionsSchema = z.strictObject({
  connection: connectionSchema,
  queue: queueNameSchema.optional(),
  retainMs: z.number().finite().positive().optional(),
  connectTimeoutMs: z.number().finite().positive().optional(),
  scheduler: schedulerSchema.optional(),
});

type Outcome = { ok: true; value: unknown } | { ok: false; error: Error };

/** One subscription waiting for its job's outcome, with the add that made (or found) the job. */
interface Waiter {
  readonly add: PendingAdd;
  settle(outcome: Outcome): void;
}

/**
 * Runs tasks as BullMQ jobs on workers (`startWorker`) over Redis. A remote task is
 * just a task: subscribing adds (or re-attaches to) its job, the job's result is the value, a failed
 * job an error carrying the remote name, message and `code`, and unsubscribing cancels — a waiting
 * job is removed, an active one is cancelled on whichever worker runs it (its signal aborts).
 * Redis unreachable for longer than `connectTimeoutMs` fails the waiting tasks with
 * `ConnectionLostError`; when it answers again, jobs that vanished meanwhile fail the same way.
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
    // BullMQ runs a job once by default (rxdaemon retries by attempt, each attempt its own job).
    defaultJobOptions: { removeOnComplete: retain, removeOnFail: retain },
  });
  queue.on('error', ignore);
  const waiters = new Map<string, Set<Waiter>>();
  const settle = (jobId: string, outcome: Outcome): void => {
    for (const waiter of waiters.get(jobId) ?? []) waiter.settle(outcome);
  };
  let events: QueueEvents | undefined;
  let producer: QueueEventsProducer | undefined;
  let closing = false;
  const ready = queue.waitUntilReady().then(async () => {
    if (closing) return;
    const redis = { ...connection, maxRetriesPerRequest: null };
    // Read events from the stream's end as it is now, not from wherever it is when the reader's
    // first blocking read happens to be sent: an outcome published in between would be missed.
    const [last] = await client.xrevrange(queue.keys.events!, '+', '-', 'COUNT', 1);
    events = new QueueEvents(name, { connection: redis, lastEventId: last?.[0] ?? '0-0' });
    producer = new QueueEventsProducer(cancelChannelOf(name), { connection: redis });
    events.on('error', ignore);
    producer.on('error', ignore);
    events.on('completed', ({ jobId, returnvalue }) => settle(jobId, { ok: true, value: returnvalue }));
    events.on('failed', ({ jobId, failedReason }) =>
      settle(jobId, { ok: false, error: decodeError(failedReason) }),
    );
    events.on('duplicated', ({ jobId }) => reattach(jobId));
    await Promise.all([events.waitUntilReady(), producer.waitUntilReady()]);
  });
  ready.catch(ignore); // each task reports it (as ConnectionLostError) when it waits

  /**
   * A job's outcome as Redis has it now; undefined while it is still to run or running; missing
   * when there is none — or when it was cancelled (an earlier orchestrator gave it up), so that a
   * resumed task runs it again rather than reporting the cancellation as its outcome.
   */
  const outcomeOf = async (jobId: string): Promise<Outcome | 'missing' | undefined> => {
    const job = await queue.getJob(jobId);
    if (!job) return 'missing';
    const state = await job.getState();
    if (state === 'completed') return { ok: true, value: job.returnvalue };
    if (state !== 'failed') return undefined;
    const error = decodeError(job.failedReason);
    if (error.code !== new CancelledError().code) return { ok: false, error };
    await job.remove();
    return 'missing';
  };

  /**
   * Jobs are added in bulk (`batchAdds`). An id that exists already is not added again: BullMQ says
   * `duplicated`, and the existing job's outcome is looked up — that is resume.
   */
  const adds = batchAdds(queue);
  const reattach = (jobId: string): void => {
    if (!waiters.has(jobId)) return;
    outcomeOf(jobId).then((outcome) => {
      const first = waiters.get(jobId)?.values().next().value;
      // Cancelled by an earlier orchestrator (and removed just now), or gone: it is added afresh.
      if (outcome === 'missing' && first) adds(first.add);
      else if (outcome && outcome !== 'missing') settle(jobId, outcome);
    }, ignore);
  };

  const sweeper = sweepLostEvents(queue, client, scheduler, () => waiters.keys(), reattach);

  const link = watchRedis(client, ready, scheduler, connectTimeoutMs, {
    lost: (error) => {
      for (const jobId of [...waiters.keys()]) settle(jobId, { ok: false, error });
    },
    // Events published while the connection was down are not replayed: ask Redis for each job.
    back: () => {
      for (const jobId of [...waiters.keys()]) {
        outcomeOf(jobId).then((outcome) => {
          if (outcome === 'missing') {
            const lost = `job ${jobId} vanished from Redis while the connection was down`;
            settle(jobId, { ok: false, error: new ConnectionLostError(connectTimeoutMs, lost) });
          } else if (outcome) settle(jobId, outcome);
        }, ignore);
      }
    },
  });

  /** One job of `handler` for `input`, its id from `context` (else unique): its outcome, once. */
  const job = <I, R>(handler: string, input: I, context: JobContext | undefined): Observable<R> => {
    // The trace context the task is called in (an MI instance's span): its job carries it, and
    // the worker's span continues the trace. Empty without a propagator (no SDK).
    const trace: Record<string, string> = {};
    propagation.inject(otelContext.active(), trace);
    return new Observable<R>((subscriber) => {
      if (input !== undefined) {
        try {
          assertJson(input, 'input');
        } catch (error) {
          return subscriber.error(error);
        }
      }
      const deterministic = jobIdOf(handler, context);
      // A unit of work without ids gets a unique id of ours, so it is watched before it is added.
      const jobId = deterministic ?? `${handler.replace(/[:~%]/g, '_')}~${randomUUID()}`;
      let settled = false;
      const add: PendingAdd = {
        name: handler,
        data: {
          input,
          attempt: context?.attempt ?? 1,
          ...(Object.keys(trace).length > 0 ? { trace } : {}),
        },
        jobId,
        state: 'pending',
        failed: (error) => waiter.settle({ ok: false, error }),
      };
      const waiter: Waiter = {
        add,
        settle: (outcome) => {
          if (settled) return;
          settled = true;
          forget();
          if (outcome.ok) {
            subscriber.next(outcome.value as R);
            subscriber.complete();
          } else subscriber.error(outcome.error);
        },
      };
      const forget = (): void => {
        const set = waiters.get(jobId);
        if (!set?.delete(waiter)) return;
        if (set.size === 0) waiters.delete(jobId);
      };
      const begin = (): void => {
        if (settled) return;
        let set = waiters.get(jobId); // watched before it is added: a quick outcome is not missed
        if (!set) waiters.set(jobId, (set = new Set()));
        set.add(waiter);
        adds(add);
        sweeper.start();
      };
      if (link.up) begin();
      else link.reachable().then(begin, (error: unknown) => add.failed(error as Error));
      return () => {
        if (settled) return;
        settled = true;
        forget();
        if (add.state === 'sent') cancelling(jobId);
        else add.state = 'withdrawn'; // still in the batch: never sent
      };
    });
  };

  /**
   * A daemon run as a job: its payload is the input. A run of a shared tick is one job per tick,
   * whichever daemon took the tick; any other run is a job of its own (run ids repeat across
   * daemons and restarts).
   */
  const runOnWorkers = <P, R>(
    handler: string,
    { attempt, payload, trigger }: OperationRunContext<P>,
  ): Observable<R> => {
    const cause: unknown = trigger?.cause;
    const context = isSharedTick(cause) ? { runId: cause.tickJobId, attempt } : undefined;
    return job<P | undefined, R>(handler, payload, context);
  };

  const task = <I, R>(handler: string): RemoteTask<I, R> => {
    parseConfig('remote task', handlerNameSchema, { handler });
    return ((input: unknown, context?: JobContext) =>
      context === undefined && isDaemonRun(input)
        ? runOnWorkers<unknown, R>(handler, input)
        : job<unknown, R>(handler, input, context)) as RemoteTask<I, R>;
  };

  /** Cancels still being sent: `close` lets them reach Redis first. */
  const cancels = new Set<Promise<void>>();
  const cancelling = (jobId: string): void => {
    const sent = cancel(jobId).catch(ignore);
    cancels.add(sent);
    void sent.finally(() => cancels.delete(sent));
  };

  /** A waiting or delayed job is removed; an active one is cancelled on its worker. */
  const cancel = async (jobId: string): Promise<void> => {
    const removed = await queue.remove(jobId).catch(() => 0);
    if (removed === 1) return;
    await producer?.publishEvent({ eventName: CANCEL_EVENT, jobId });
  };

  const ticks = sharedTriggers(connection, name, scheduler);

  return {
    task,
    operation: <P, R>(handler: string) => {
      parseConfig('remote operation', handlerNameSchema, { handler });
      return (context: OperationRunContext<P>): Observable<R> => runOnWorkers(handler, context);
    },
    sharedTrigger: (operationId, trigger) => ticks.trigger(operationId, trigger),
    removeSharedTrigger: (operationId) => ticks.remove(operationId),
    async close() {
      // A graceful close waits for a connection that may never come: a transport that never
      // reached Redis, or lost it, drops its connections after the bound instead.
      closing = true;
      link.close();
      sweeper.stop();
      const graceful = Promise.allSettled([...cancels])
        .then(() => Promise.allSettled([producer?.close(), events?.close(), ticks.close()]))
        .then(() => events && queue.close());
      await closeWithin(connectTimeoutMs, scheduler, graceful, () =>
        Promise.all([dropConnections(producer, events), ticks.close(true)]),
      );
      client.disconnect();
    },
  };
}

/**
 * Whether a task was handed a daemon run's context rather than an input: what `Daemon` gives an
 * operation's `run` (its ids, payload and signal). No job input looks like it: an input must be
 * JSON, and a context holds an AbortSignal. (`in`, so a lazily made signal is not made here.)
 */
function isDaemonRun(value: unknown): value is OperationContext {
  if (typeof value !== 'object' || value === null) return false;
  const fields = value as Partial<Record<keyof OperationContext, unknown>>;
  return (
    typeof fields.operationId === 'string' &&
    typeof fields.runId === 'string' &&
    typeof fields.attempt === 'number' &&
    'payload' in fields &&
    'signal' in fields
  );
}
