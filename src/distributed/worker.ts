import { propagation, ROOT_CONTEXT } from '@opentelemetry/api';
import { endSpan, inSpan, startSpan } from '../telemetry/spans.js';
import { type Job, QueueEvents, UnrecoverableError, Worker } from 'bullmq';
import { asyncScheduler, lastValueFrom, type Observable, Subscription } from 'rxjs';
import { z } from 'zod';
import {
  Broadcast,
  functionSchema,
  longDelays,
  outputAsObservable,
  parseConfig,
  type TaskOutput,
} from '../../operators/internal/index.js';
import {
  CANCEL_EVENT,
  cancelChannelOf,
  connectionSchema,
  queueNameSchema,
  type RedisConnection,
} from './transport.js';
import { CancelledError } from '../errors.js';
import { dropConnections } from './redis-link.js';
import { encodeError, UnknownHandlerError } from './remote-error.js';

/** What a handler receives besides its input. */
export interface WorkerHandlerContext {
  /** Aborted when the job is cancelled (the orchestrator unsubscribed) or the worker closes. */
  readonly signal: AbortSignal;
  /** The rxdaemon attempt this job is (1, 2, … per retry of the instance or run). */
  readonly attempt: number;
  readonly jobId: string;
}

export type WorkerHandler = (input: never, context: WorkerHandlerContext) => TaskOutput<unknown>;

export interface StartWorkerOptions {
  readonly connection: RedisConnection;
  readonly queue?: string;
  /** Handlers by task name (own properties only). */
  readonly handlers: Readonly<Record<string, WorkerHandler>>;
  /** Jobs this worker runs at once (default 1). */
  readonly concurrency?: number;
  /** How long a job's lock lasts without renewal: a worker that dies loses its jobs after this. */
  readonly lockDurationMs?: number;
}

export type WorkerEvent =
  | { readonly type: 'job:started'; readonly jobId: string; readonly name: string }
  | { readonly type: 'job:succeeded'; readonly jobId: string; readonly name: string }
  | { readonly type: 'job:failed'; readonly jobId: string; readonly name: string; readonly error: unknown }
  | { readonly type: 'job:cancelled'; readonly jobId: string }
  | { readonly type: 'worker:error'; readonly error: unknown };

export interface RunningWorker {
  readonly events: Observable<WorkerEvent>;
  /**
   * Stops taking jobs, lets running ones finish — for at most `drainMs` when given, after which
   * their signals abort, and a second later close returns even if a handler ignores its signal.
   */
  close(options?: { readonly drainMs?: number }): Promise<void>;
}

/** After the drain deadline aborts running jobs, how long their handlers get to notice. */
const ABANDON_AFTER_MS = 1000;

const optionsSchema = z.strictObject({
  connection: connectionSchema,
  queue: queueNameSchema.optional(),
  handlers: z.record(z.string(), functionSchema),
  concurrency: z.number().int().min(1).optional(),
  lockDurationMs: z.number().int().min(1).optional(),
});

/**
 * A BullMQ worker for rxdaemon's transport: it runs a job with the handler its name
 * names, hands it a live `signal` (aborted when the orchestrator cancels the job), and stores the
 * result. A handler's failure is stored as its name, message and `code`, and is final for BullMQ
 * (rxdaemon retries by attempt, each attempt its own job). A worker that dies mid-job loses its lock
 * and the job runs again elsewhere (BullMQ's stalled-job recovery).
 *
 * @throws ConfigError for bad options, before anything connects
 */
export function startWorker(options: StartWorkerOptions): RunningWorker {
  parseConfig('BullMQ worker options', optionsSchema, options);
  const { connection, queue = 'rxdaemon', handlers, concurrency = 1, lockDurationMs } = options;
  const bus = new Broadcast<WorkerEvent>(() => undefined);
  const emit = (event: WorkerEvent): void => bus.emit(event);
  const redis = { ...connection, maxRetriesPerRequest: null };
  let running = 0;
  let idle: (() => void) | undefined;
  /** Calls `then` once no handler runs (now, if none does). */
  const whenIdle = (then: () => void): void => (running === 0 ? then() : void (idle = then));
  const process = async (job: Job, _token?: string, signal?: AbortSignal): Promise<unknown> => {
    running++;
    try {
      return await runJob(job, signal);
    } finally {
      if (--running === 0) idle?.();
    }
  };
  const runJob = async (job: Job, bullSignal: AbortSignal | undefined): Promise<unknown> => {
    const handler = Object.hasOwn(handlers, job.name) ? handlers[job.name] : undefined;
    const jobId = job.id!;
    // The handler's signal aborts with a CancelledError (BullMQ's reason is its message), and a job
    // that ends after it is stored as cancelled, not failed: a resumed task runs it again.
    const cancelled = new AbortController();
    const cancel = (): void => cancelled.abort(new CancelledError(String(bullSignal?.reason ?? 'cancelled')));
    if (bullSignal?.aborted) cancel();
    else bullSignal?.addEventListener('abort', cancel, { once: true });
    emit({ type: 'job:started', jobId, name: job.name });
    const data = job.data as { input: never; attempt?: number; trace?: Record<string, string> };
    // The orchestrator's trace goes on here: this job's span is a child of the instance's.
    const parent = data.trace ? propagation.extract(ROOT_CONTEXT, data.trace) : ROOT_CONTEXT;
    const span = startSpan(
      'rxdaemon.remote_instance',
      { 'rxdaemon.handler': job.name, 'rxdaemon.job_id': jobId, 'rxdaemon.attempt': data.attempt ?? 1 },
      parent,
    );
    try {
      if (!handler) throw new UnknownHandlerError(job.name);
      const context: WorkerHandlerContext = { signal: cancelled.signal, attempt: data.attempt ?? 1, jobId };
      const value = await inSpan(span, parent, () =>
        lastValueFrom(outputAsObservable(handler(data.input, context))),
      );
      emit({ type: 'job:succeeded', jobId, name: job.name });
      endSpan(span, 'succeeded');
      return value;
    } catch (error) {
      const outcome = cancelled.signal.aborted ? (cancelled.signal.reason as CancelledError) : error;
      emit({ type: 'job:failed', jobId, name: job.name, error: outcome });
      endSpan(span, cancelled.signal.aborted ? 'cancelled' : 'failed', outcome);
      throw new UnrecoverableError(encodeError(outcome));
    } finally {
      bullSignal?.removeEventListener('abort', cancel);
    }
  };
  const worker = new Worker(queue, process, {
    connection: redis,
    concurrency,
    // A dead worker's jobs are found stalled (and run again elsewhere) within about two lock terms.
    ...(lockDurationMs !== undefined
      ? { lockDuration: lockDurationMs, stalledInterval: lockDurationMs }
      : {}),
  });
  worker.on('error', (error) => emit({ type: 'worker:error', error }));
  const cancels = new QueueEvents(cancelChannelOf(queue), { connection: redis });
  cancels.on('error', () => undefined);
  cancels.on(CANCEL_EVENT as 'waiting', (args: unknown) => {
    const { jobId } = args as { jobId: string };
    if (worker.cancelJob(jobId, 'cancelled by the orchestrator')) emit({ type: 'job:cancelled', jobId });
  });
  return {
    events: bus.events,
    async close({ drainMs } = {}) {
      const graceful = Promise.allSettled([cancels.close(), worker.close()]);
      // At the drain deadline running jobs' signals abort; a handler that ignores its signal gets a
      // short grace, then close returns anyway (its job's lock lapses and BullMQ runs it elsewhere).
      // With no handler running, BullMQ's close needs only Redis: given the same grace, past which
      // Redis is taken to be gone and the connections are dropped.
      const scheduler = longDelays(asyncScheduler);
      const timers = new Subscription();
      const abandoned = new Promise<void>((resolve) => {
        let abandoning = false;
        const abandon = (): void => {
          if (abandoning) return;
          abandoning = true;
          timers.add(scheduler.schedule(resolve, ABANDON_AFTER_MS));
        };
        whenIdle(abandon);
        if (drainMs !== undefined) {
          timers.add(
            scheduler.schedule(() => {
              worker.cancelAllJobs('the worker is closing');
              abandon();
            }, drainMs),
          );
        }
      });
      const outcome = await Promise.race([graceful.then(() => 'closed'), abandoned.then(() => 'abandoned')]);
      timers.unsubscribe();
      if (outcome === 'abandoned') await dropConnections(worker, cancels);
    },
  };
}
