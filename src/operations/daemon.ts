import { type Context, context, type Span } from '@opentelemetry/api';
import { endSpan, inSpan, retryEvent, startSpan } from '../telemetry/spans.js';
import { asyncScheduler, isObservable, Observable, type SchedulerLike, Subscription } from 'rxjs';
import {
  attemptsOf,
  longDelays,
  Pool,
  type PoolSink,
  Queue,
  type TaskOutput,
  type TaskRun,
  withSignal,
} from '../../operators/internal/index.js';
import { backoffDelay } from '../../operators/index.js';
import { DaemonNotRunningError, DuplicateOperationError, UnknownOperationError } from '../errors.js';
import { Broadcast } from '../../operators/internal/index.js';
import { triggerFrom } from '../triggers/trigger-config.js';
import type { TriggerFire } from '../triggers/trigger-fire.js';
import { parseStopOptions, validateDaemonConfig, validateOperation } from './config.js';
import { DaemonState } from './daemon-state.js';
import { receiptsOfRuns } from './run-receipts.js';
import type {
  DaemonConfig,
  DaemonEvent,
  DaemonHealth,
  DaemonMetrics,
  Operation,
  OperationInfo,
  OperationResult,
} from './types.js';

type AnyOperation = Operation<never, unknown>;

/**
 * What runs of one operation id share, across an unschedule and a re-schedule of that id: a run
 * still going when its operation is replaced keeps counting, so `overlap: 'skip'` still sees it.
 */
interface OperationSlot {
  /** Runs admitted to the pool and not finished. */
  active: number;
  /** `overlap: 'queue'` runs waiting for the active run to end (made when first needed). */
  backlog: Queue<Job> | undefined;
}

interface Entry {
  readonly operation: AnyOperation;
  readonly trigger: Observable<TriggerFire> | undefined;
  readonly slot: OperationSlot;
  triggerSubscription: Subscription | undefined;
  /** Failures of its trigger in a row; the trigger is resubscribed after a backoff. */
  triggerFailures: number;
}

interface Job {
  readonly entry: Entry;
  readonly runId: string;
  readonly payload: unknown;
  readonly trigger: TriggerFire | undefined;
  readonly enqueuedAt: number;
  startedAt: number | undefined;
  resolve: ((result: OperationResult) => void) | undefined;
  /** Its index in the pool once admitted (for cancelling it), or -1. */
  poolIndex: number;
  /** Set when its result has been reported. */
  settled: boolean;
  /** The trace context it was dispatched in: its span's parent. */
  readonly traceParent: Context;
  /** Its `rxdaemon.operation` span while it runs, when a tracer records. */
  span: Span | undefined;
}

/** A stop in progress. */
interface Stopping {
  readonly done: Promise<void>;
  readonly resolve: () => void;
  cancelled: number;
  deadline?: Subscription;
}

/**
 * A broken trigger is resubscribed at once (on the next turn of the scheduler: a source that
 * reconnects, or a blip, costs nothing), then after 1 s, 2 s, 4 s, … up to a minute while it keeps
 * failing.
 */
const TRIGGER_BACKOFF = { initialDelayMs: 1000, multiplier: 2, maxDelayMs: 60_000 } as const;

/** The event that reports a run's end, by its status: one constant string, not one built per run. */
const FINISHED = {
  succeeded: 'operation:succeeded',
  failed: 'operation:failed',
  skipped: 'operation:skipped',
  cancelled: 'operation:cancelled',
} as const satisfies Record<OperationResult['status'], `operation:${OperationResult['status']}`>;

/** The key of the daemon's run-by-callback method: the control plane's, kept out of the public API. */
export const dispatchRun = Symbol('rxdaemon.dispatchRun');

/** The rxdaemon daemon; made by {@link createDaemon}. */
export class Daemon {
  readonly id: string;
  /**
   * Every lifecycle event, as it happens (hot). A listener that throws does not disturb the daemon
   * or the other listeners: its error is reported as a `daemon:listener-failed` event.
   */
  readonly events: Observable<DaemonEvent>;
  private readonly bus: Broadcast<DaemonEvent>;
  private readonly scheduler: SchedulerLike;
  private readonly operationsById = new Map<string, Entry>();
  /** Slots of unscheduled operations whose runs are still going, by id. */
  private readonly retiring = new Map<string, OperationSlot>();
  private readonly state: DaemonState;
  private readonly record: ((event: DaemonEvent) => void) | undefined;
  private phase: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private pool: Pool<Job, unknown> | undefined;
  private runs = 0;
  /** The job `dispatch` is admitting right now, enqueued this very instant (see `started`). */
  private admitting: Job | undefined;
  private startedAt = 0;
  private stopping: Stopping | undefined;
  private reportingListenerError = false;

  constructor(private readonly config: DaemonConfig) {
    this.id = config.id ?? 'daemon';
    this.scheduler = config.scheduler ?? asyncScheduler;
    this.state = new DaemonState(config.completedCacheSize ?? 1000, config.health);
    this.bus = new Broadcast<DaemonEvent>((error) => this.listenerFailed(error));
    this.events = this.bus.events;
    this.record = config.receipts
      ? receiptsOfRuns(config.receipts, (error, event) =>
          this.emit({
            type: 'daemon:receipt-failed',
            daemonId: this.id,
            at: event.at,
            runId: event.runId,
            error,
          }),
        )
      : undefined;
  }

  /**
   * Registers an operation; if the daemon runs, its trigger starts listening now.
   * @throws ConfigError for a bad operation, DuplicateOperationError for an id in use — nothing registered
   */
  schedule<P, R>(operation: Operation<P, R>): void {
    validateOperation(operation as unknown as AnyOperation);
    const { id, trigger } = operation;
    if (this.operationsById.has(id)) throw new DuplicateOperationError(id);
    const entry: Entry = {
      operation: operation as unknown as AnyOperation,
      trigger: this.triggerOf(id, trigger),
      slot: this.takeRetiringSlot(id) ?? { active: 0, backlog: undefined },
      triggerSubscription: undefined,
      triggerFailures: 0,
    };
    this.operationsById.set(id, entry);
    if (this.phase === 'running') this.listen(entry);
  }

  /**
   * Removes an operation: its trigger stops and its queued runs are cancelled; a running one finishes
   * (and still counts for the overlap policy of an operation scheduled again under the same id).
   * @throws UnknownOperationError
   */
  unschedule(operationId: string): void {
    const entry = this.operationsById.get(operationId);
    if (!entry) throw new UnknownOperationError(operationId);
    this.stopListening(entry);
    this.operationsById.delete(operationId);
    this.cancelBacklog(entry.slot);
    if (entry.slot.active > 0) this.retiring.set(operationId, entry.slot);
  }

  /** An operation's firings: its own Observable, a timer shared through the transport, or built here. */
  private triggerOf(id: string, trigger: Operation['trigger']): Observable<TriggerFire> | undefined {
    if (trigger === undefined || isObservable(trigger)) return trigger;
    const { transport, sources } = this.config;
    if (transport && (trigger.type === 'interval' || trigger.type === 'cron')) {
      return transport.sharedTrigger(id, trigger);
    }
    return triggerFrom(trigger, { ...sources, scheduler: this.scheduler });
  }

  /** The slot of an operation of this id unscheduled while running, if any: its runs still count. */
  private takeRetiringSlot(id: string): OperationSlot | undefined {
    if (this.retiring.size === 0) return undefined;
    const slot = this.retiring.get(id);
    this.retiring.delete(id);
    return slot;
  }

  /** The registered operations, in registration order, with what runs and waits of each. */
  operations(): OperationInfo[] {
    return [...this.operationsById.values()].map(({ operation, slot, triggerFailures }) => ({
      id: operation.id,
      ...(operation.name !== undefined ? { name: operation.name } : {}),
      overlap: operation.overlap ?? 'skip',
      trigger:
        operation.trigger === undefined
          ? 'none'
          : isObservable(operation.trigger)
            ? 'custom'
            : operation.trigger.type,
      active: slot.active,
      queued: slot.backlog?.length ?? 0,
      triggerFailures,
    }));
  }

  /**
   * Runs an operation now, through the same pool as its trigger. An explicit call is a job: it is
   * queued behind a run of the same operation, never dropped — unless the operation asked for
   * `overlap: 'skip'` (or runs in parallel with `'allow'`). Resolves with the run's result whatever
   * its outcome; rejects only for a bad call.
   */
  execute<R = unknown>(operationId: string, payload?: unknown): Promise<OperationResult<R>> {
    let entry: Entry;
    try {
      entry = this.callable(operationId);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<OperationResult>((resolve) =>
      this.dispatch(entry, payload, undefined, resolve),
    ) as Promise<OperationResult<R>>;
  }

  /**
   * The same run as `execute`, as a cold Observable: subscribing dispatches it, the result is emitted
   * (synchronously when the operation is, so it composes in virtual time), and unsubscribing before
   * the result cancels the run — its signal aborted, or its place in a queue given up.
   */
  run<R = unknown>(operationId: string, payload?: unknown): Observable<OperationResult<R>> {
    return new Observable<OperationResult<R>>((subscriber) => {
      try {
        return this[dispatchRun](operationId, payload, (result) => {
          subscriber.next(result as OperationResult<R>);
          subscriber.complete();
        });
      } catch (error) {
        return subscriber.error(error);
      }
    });
  }

  /**
   * `run` without its Observable, for the control plane (an Observable and subscriber chain per
   * request is measurable there): dispatched now, `onResult` told once (at once for a synchronous
   * operation), the returned function gives the run up. Not part of the public API; `onResult`
   * runs inside the daemon's bookkeeping, so it must not throw (the route's answers never do).
   * @throws DaemonNotRunningError, UnknownOperationError
   * @internal
   */
  [dispatchRun](
    operationId: string,
    payload: unknown,
    onResult: (result: OperationResult) => void,
  ): () => void {
    const job = this.dispatch(this.callable(operationId), payload, undefined, onResult);
    return () => this.cancelJob(job);
  }

  /** The entry of an operation a caller may run now. @throws DaemonNotRunningError, UnknownOperationError */
  private callable(operationId: string): Entry {
    if (this.phase !== 'running') throw new DaemonNotRunningError(this.id, this.phase);
    const entry = this.operationsById.get(operationId);
    if (!entry) throw new UnknownOperationError(operationId);
    return entry;
  }

  /** Starts the pool and every trigger. Idempotent while running. */
  start(): void {
    if (this.phase === 'running') return;
    if (this.phase === 'stopping') throw new DaemonNotRunningError(this.id, 'stopping');
    this.phase = 'running';
    this.startedAt = this.scheduler.now();
    this.pool = new Pool(
      (job, run) => this.runJob(job, run),
      this.poolSink(),
      this.config.maxConcurrent ?? 5,
    );
    this.emit({ type: 'daemon:started', daemonId: this.id, at: this.startedAt });
    // An operation a `daemon:started` listener scheduled is listening already: `listen` is idempotent.
    for (const entry of this.operationsById.values()) this.listen(entry);
  }

  /**
   * Stops triggers and intake at once, cancels the waiting runs, lets running ones finish for up to
   * `drainMs` (scheduler time), then cancels them (their signals aborted) and emits `daemon:stopped`.
   * @throws ConfigError (as a rejection) for a `drainMs` that is not a finite number ≥ 0
   */
  stop(options: { readonly drainMs?: number } = {}): Promise<void> {
    let drainMs: number;
    try {
      drainMs = parseStopOptions(options).drainMs ?? 10_000;
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.stopping) return this.stopping.done;
    if (this.phase !== 'running') return Promise.resolve();
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const stopping: Stopping = { done, resolve, cancelled: 0 };
    this.stopping = stopping;
    this.phase = 'stopping';
    for (const entry of this.operationsById.values()) this.stopListening(entry);
    for (const slot of this.slots()) this.cancelBacklog(slot);
    const pool = this.pool!;
    pool.stopIntake();
    if (pool.activeCount === 0) this.finishStopping();
    else stopping.deadline = longDelays(this.scheduler).schedule(() => pool.cancelRunning(), drainMs);
    return done;
  }

  metrics(): DaemonMetrics {
    return this.state.metrics(this.scheduler.now(), this.startedAt);
  }

  health(): DaemonHealth {
    if (this.phase !== 'running') {
      return { status: 'stopped', reason: this.phase === 'idle' ? 'not started' : this.phase };
    }
    return this.state.health();
  }

  /** Finished runs, newest first (at most `completedCacheSize`), of one operation or all. */
  recent(operationId?: string): OperationResult[] {
    return this.state.recent(operationId);
  }

  /** What the pool reports, turned into runs' events: private, so no caller can fake an outcome. */
  private poolSink(): PoolSink<Job, unknown> {
    return {
      get closed() {
        return false;
      },
      admitted: (index, job) => (job.poolIndex = index),
      started: (run) => this.started(run.input),
      succeeded: (run, value) => this.finish(run.input, 'succeeded', value, undefined, run.attempts),
      failed: (run, error) => this.finish(run.input, 'failed', undefined, error, run.attempts),
      cancelled: (_index, job, wasRunning) =>
        this.finish(job, 'cancelled', undefined, undefined, wasRunning ? 1 : 0),
      inputClosed: () => undefined,
      drained: () => undefined,
    };
  }

  private started(job: Job): void {
    // Started in the same call that enqueued it (a free slot): same instant, one clock read saved.
    job.startedAt = this.admitting === job ? job.enqueuedAt : this.scheduler.now();
    this.emit({
      type: 'operation:started',
      daemonId: this.id,
      at: job.startedAt,
      operationId: job.entry.operation.id,
      runId: job.runId,
    });
  }

  private dispatch(
    entry: Entry,
    payload: unknown,
    trigger: TriggerFire | undefined,
    resolve?: (r: OperationResult) => void,
  ): Job {
    const job = this.newJob(entry, payload, trigger, resolve);
    this.emit({
      type: 'operation:enqueued',
      daemonId: this.id,
      at: job.enqueuedAt,
      operationId: entry.operation.id,
      runId: job.runId,
      trigger,
    });
    // A trigger fire that finds its operation busy is skipped by default; an explicit call queues.
    const overlap = entry.operation.overlap ?? (trigger === undefined ? 'queue' : 'skip');
    const { slot } = entry;
    if (slot.active > 0 && overlap === 'skip') this.report(job, 'skipped', undefined, undefined, 0);
    else if (slot.active > 0 && overlap === 'queue') (slot.backlog ??= new Queue<Job>()).push(job);
    else {
      this.admitting = job;
      this.admit(job);
      this.admitting = undefined;
    }
    return job;
  }

  private newJob(
    entry: Entry,
    payload: unknown,
    trigger: TriggerFire | undefined,
    resolve: ((r: OperationResult) => void) | undefined,
  ): Job {
    return {
      entry,
      runId: `${entry.operation.id}#${++this.runs}`,
      payload,
      trigger,
      enqueuedAt: this.scheduler.now(),
      startedAt: undefined,
      resolve,
      poolIndex: -1,
      settled: false,
      traceParent: context.active(),
      span: undefined,
    };
  }

  /** Gives up a run: torn down if admitted, reported cancelled (and skipped later) if still in a backlog. */
  private cancelJob(job: Job): void {
    if (job.settled) return;
    if (job.poolIndex >= 0) this.pool?.cancel(job.poolIndex);
    else this.report(job, 'cancelled', undefined, undefined, 0);
  }

  private admit(job: Job): void {
    job.entry.slot.active++;
    this.pool!.admit(job);
  }

  private runJob(job: Job, run: TaskRun<Job, unknown>): TaskOutput<unknown> {
    const { operation } = job.entry;
    const { id: operationId, retry, timeoutMs } = operation;
    const { runId, payload, trigger } = job;
    const policy =
      retry !== undefined || timeoutMs !== undefined
        ? {
            retry,
            timeoutMs,
            scheduler: this.scheduler,
            random: this.config.random,
            onRetry: (attempt: number, error: unknown, delayMs: number) => {
              retryEvent(job.span, attempt, error, delayMs);
              this.emit({
                type: 'operation:retrying',
                daemonId: this.id,
                at: this.scheduler.now(),
                operationId,
                runId,
                attempt,
                error,
                delayMs,
              });
            },
          }
        : undefined;
    job.span = startSpan(
      'rxdaemon.operation',
      { 'rxdaemon.operation_id': operationId, 'rxdaemon.run_id': runId, 'rxdaemon.daemon_id': this.id },
      job.traceParent,
    );
    // One context per attempt, its fields its own: spreading it keeps a live `signal`.
    return attemptsOf(run, policy, (attempt, signal) =>
      inSpan(job.span, job.traceParent, () =>
        operation.run(
          withSignal({ operationId, runId, payload: payload as never, trigger, attempt }, run, signal),
        ),
      ),
    );
  }

  /** A run admitted to the pool ended: report it, free the operation, start its next queued run. */
  private finish(
    job: Job,
    status: OperationResult['status'],
    value: unknown,
    error: unknown,
    attempts: number,
  ): void {
    const { slot } = job.entry;
    slot.active--;
    this.report(job, status, value, error, attempts);
    const { backlog } = slot;
    while (slot.active === 0 && backlog !== undefined && backlog.length > 0 && this.phase === 'running') {
      const next = backlog.shift();
      if (!next.settled) this.admit(next); // one given up while queued was reported already
    }
    if (slot.active === 0 && this.retiring.size > 0) {
      const { id } = job.entry.operation;
      if (this.retiring.get(id) === slot) this.retiring.delete(id);
    }
    if (this.stopping && this.pool!.activeCount === 0) this.finishStopping();
  }

  private report(
    job: Job,
    status: OperationResult['status'],
    value: unknown,
    error: unknown,
    attempts: number,
  ): void {
    job.settled = true;
    const endedAt = this.scheduler.now();
    const result: OperationResult = {
      id: job.entry.operation.id,
      runId: job.runId,
      status,
      value: status === 'succeeded' ? value : undefined,
      error: status === 'failed' ? error : undefined,
      attempts,
      enqueuedAt: job.enqueuedAt,
      startedAt: job.startedAt,
      endedAt,
    };
    if (status === 'cancelled' && this.stopping) this.stopping.cancelled++;
    endSpan(job.span, status, error, { 'rxdaemon.attempt': attempts });
    job.span = undefined;
    this.emit({
      type: FINISHED[status],
      daemonId: this.id,
      at: endedAt,
      operationId: result.id,
      runId: job.runId,
      result,
    });
    job.resolve?.(result);
  }

  private *slots(): Iterable<OperationSlot> {
    for (const entry of this.operationsById.values()) yield entry.slot;
    yield* this.retiring.values();
  }

  private cancelBacklog(slot: OperationSlot): void {
    const { backlog } = slot;
    while (backlog !== undefined && backlog.length > 0) {
      const job = backlog.shift();
      if (!job.settled) this.report(job, 'cancelled', undefined, undefined, 0);
    }
  }

  private listen(entry: Entry): void {
    if (entry.trigger === undefined || entry.triggerSubscription !== undefined) return;
    // Held before subscribing: a trigger that errors on subscription replaces it with its retry.
    const listening = new Subscription();
    entry.triggerSubscription = listening;
    listening.add(
      entry.trigger.subscribe({
        next: (fire) => {
          entry.triggerFailures = 0;
          this.dispatch(entry, undefined, fire);
        },
        error: (error: unknown) => this.triggerFailed(entry, error),
      }),
    );
  }

  private stopListening(entry: Entry): void {
    entry.triggerSubscription?.unsubscribe();
    entry.triggerSubscription = undefined;
  }

  /**
   * A trigger that breaks is reported (a failed run of its operation, a `trigger:failed` event,
   * health degraded with the reason) and resubscribed after a backoff, so later fires still run.
   */
  private triggerFailed(entry: Entry, error: unknown): void {
    const failures = ++entry.triggerFailures;
    const retryInMs = failures === 1 ? 0 : backoffDelay(failures - 1, TRIGGER_BACKOFF);
    const { id } = entry.operation;
    entry.triggerSubscription?.unsubscribe();
    this.report(this.newJob(entry, undefined, undefined, undefined), 'failed', undefined, error, 0);
    this.emit({
      type: 'trigger:failed',
      daemonId: this.id,
      at: this.scheduler.now(),
      operationId: id,
      error,
      retryInMs,
    });
    entry.triggerSubscription = longDelays(this.scheduler).schedule(() => {
      entry.triggerSubscription = undefined;
      if (this.phase === 'running' && this.operationsById.get(id) === entry) this.listen(entry);
    }, retryInMs);
  }

  private finishStopping(): void {
    const stopping = this.stopping!;
    stopping.deadline?.unsubscribe();
    this.phase = 'stopped';
    this.pool?.teardown();
    this.pool = undefined;
    this.stopping = undefined;
    this.emit({
      type: 'daemon:stopped',
      daemonId: this.id,
      at: this.scheduler.now(),
      cancelled: stopping.cancelled,
    });
    stopping.resolve();
  }

  private listenerFailed(error: unknown): void {
    if (this.reportingListenerError) return; // a listener that throws on this report too: dropped
    this.reportingListenerError = true;
    try {
      this.emit({ type: 'daemon:listener-failed', daemonId: this.id, at: this.scheduler.now(), error });
    } finally {
      this.reportingListenerError = false;
    }
  }

  /** Every consumer of the daemon's state reads its events: metrics and health, receipts, listeners. */
  private emit(event: DaemonEvent): void {
    this.state.apply(event);
    this.record?.(event);
    if (this.bus.observed) this.bus.emit(event);
  }
}

/**
 * A daemon: one worker pool of `maxConcurrent` shared by every operation, triggers on an injected
 * scheduler, events as the single source of truth for metrics, health, receipts and recent results.
 *
 * @throws ConfigError naming every bad field of `config`
 */
export function createDaemon(config: DaemonConfig = {}): Daemon {
  validateDaemonConfig(config);
  return new Daemon(config);
}
