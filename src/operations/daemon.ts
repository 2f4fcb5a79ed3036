import {
  asyncScheduler,
  Observable,
  type ObservableInput,
  type SchedulerLike,
  Subject,
  type Subscription,
} from 'rxjs';
import { withAttempts } from '../../operators/internal/attempts.js';
import { Pool, type PoolSink } from '../../operators/internal/pool.js';
import { Queue } from '../../operators/internal/queue.js';
import type { TaskRun } from '../../operators/internal/task-run.js';
import { DaemonNotRunningError, DuplicateOperationError, UnknownOperationError } from '../errors.js';
import { errorRecord } from '../receipts/receipt-log.js';
import { triggerFrom } from '../triggers/trigger-config.js';
import type { TriggerFire } from '../triggers/trigger-fire.js';
import { validateDaemonConfig, validateOperation } from './config.js';
import { DaemonState } from './daemon-state.js';
import type {
  DaemonConfig,
  DaemonEvent,
  DaemonHealth,
  DaemonMetrics,
  Operation,
  OperationContext,
  OperationResult,
} from './types.js';

type AnyOperation = Operation<never, unknown>;

interface Entry {
  readonly operation: AnyOperation;
  readonly trigger: Observable<TriggerFire> | undefined;
  triggerSubscription: Subscription | undefined;
  /** Runs of this operation admitted to the pool and not finished. */
  active: number;
  /** `overlap: 'queue'` runs waiting for this operation's active run to end (made when first needed). */
  backlog: Queue<Job> | undefined;
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
}

/** A stop in progress. */
interface Stopping {
  readonly done: Promise<void>;
  readonly resolve: () => void;
  cancelled: number;
  /** Set once waiting runs are cancelled: from then, the last running run to end finishes the stop. */
  draining: boolean;
  deadline?: Subscription;
}

/** The context of a run without retries: one object, the signal read from the pool's run. */
class SingleRunContext implements OperationContext<never> {
  readonly attempt = 1;

  constructor(
    private readonly job: Job,
    private readonly run: TaskRun<Job, unknown>,
  ) {}

  get operationId(): string {
    return this.job.entry.operation.id;
  }
  get runId(): string {
    return this.job.runId;
  }
  get payload(): never {
    return this.job.payload as never;
  }
  get trigger(): TriggerFire | undefined {
    return this.job.trigger;
  }
  get signal(): AbortSignal {
    return this.run.signal;
  }
}

/** The rxdaemon daemon (DESIGN.md §6); made by {@link createDaemon}. */
export class Daemon implements PoolSink<Job, unknown> {
  readonly id: string;
  /** Every lifecycle event, as it happens (hot). */
  readonly events: Observable<DaemonEvent>;
  private readonly subject = new Subject<DaemonEvent>();
  private readonly scheduler: SchedulerLike;
  private readonly operations = new Map<string, Entry>();
  private readonly state: DaemonState;
  private phase: 'idle' | 'running' | 'stopping' | 'stopped' = 'idle';
  private pool: Pool<Job, unknown> | undefined;
  private runs = 0;
  /** The job `dispatch` is admitting right now, enqueued this very instant (see `started`). */
  private admitting: Job | undefined;
  private startedAt = 0;
  private stopping: Stopping | undefined;

  constructor(private readonly config: DaemonConfig) {
    this.id = config.id ?? 'daemon';
    this.scheduler = config.scheduler ?? asyncScheduler;
    this.state = new DaemonState(config.completedCacheSize ?? 1000);
    this.events = this.subject.asObservable();
  }

  get closed(): boolean {
    return this.phase === 'stopped';
  }

  /**
   * Registers an operation; if the daemon runs, its trigger starts listening now.
   * @throws ConfigError for a bad operation, DuplicateOperationError for an id in use — nothing registered
   */
  schedule<P, R>(operation: Operation<P, R>): void {
    validateOperation(operation as unknown as AnyOperation);
    if (this.operations.has(operation.id)) throw new DuplicateOperationError(operation.id);
    const { trigger } = operation;
    const entry: Entry = {
      operation: operation as unknown as AnyOperation,
      trigger:
        trigger === undefined || trigger instanceof Observable
          ? trigger
          : triggerFrom(trigger, { ...this.config.sources, scheduler: this.scheduler }),
      triggerSubscription: undefined,
      active: 0,
      backlog: undefined,
    };
    this.operations.set(operation.id, entry);
    if (this.phase === 'running') this.listen(entry);
  }

  /**
   * Removes an operation: its trigger stops and its queued runs are cancelled; a running one finishes.
   * @throws UnknownOperationError
   */
  unschedule(operationId: string): void {
    const entry = this.operations.get(operationId);
    if (!entry) throw new UnknownOperationError(operationId);
    entry.triggerSubscription?.unsubscribe();
    this.operations.delete(operationId);
    this.cancelBacklog(entry);
  }

  /**
   * Runs an operation now, through the same pool and overlap policy as its trigger. Resolves with the
   * run's result whatever its outcome; rejects only for a bad call.
   */
  execute<R = unknown>(operationId: string, payload?: unknown): Promise<OperationResult<R>> {
    if (this.phase !== 'running') return Promise.reject(new DaemonNotRunningError(this.id, this.phase));
    const entry = this.operations.get(operationId);
    if (!entry) return Promise.reject(new UnknownOperationError(operationId));
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
      if (this.phase !== 'running') return subscriber.error(new DaemonNotRunningError(this.id, this.phase));
      const entry = this.operations.get(operationId);
      if (!entry) return subscriber.error(new UnknownOperationError(operationId));
      const job = this.dispatch(entry, payload, undefined, (result) => {
        subscriber.next(result as OperationResult<R>);
        subscriber.complete();
      });
      return () => this.cancelJob(job);
    });
  }

  /** Starts the pool and every trigger. Idempotent while running. */
  start(): void {
    if (this.phase === 'running') return;
    if (this.phase === 'stopping') throw new DaemonNotRunningError(this.id, 'stopping');
    this.phase = 'running';
    this.startedAt = this.scheduler.now();
    this.pool = new Pool((job, run) => this.runJob(job, run), this, this.config.maxConcurrent ?? 5);
    this.emit({ type: 'daemon:started', daemonId: this.id, at: this.startedAt });
    for (const entry of this.operations.values()) this.listen(entry);
  }

  /**
   * Stops triggers and intake at once, cancels the waiting runs, lets running ones finish for up to
   * `drainMs` (scheduler time), then cancels them (their signals aborted) and emits `daemon:stopped`.
   */
  stop(options: { readonly drainMs?: number } = {}): Promise<void> {
    if (this.stopping) return this.stopping.done;
    if (this.phase !== 'running') return Promise.resolve();
    const { drainMs = 10_000 } = options;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const stopping: Stopping = { done, resolve, cancelled: 0, draining: false };
    this.stopping = stopping;
    this.phase = 'stopping';
    for (const entry of this.operations.values()) {
      entry.triggerSubscription?.unsubscribe();
      this.cancelBacklog(entry);
    }
    this.pool!.stopIntake();
    stopping.draining = true;
    if (this.pool!.activeCount === 0) this.finishStopping();
    else stopping.deadline = this.scheduler.schedule(() => this.pool?.cancelRunning(), drainMs);
    return done;
  }

  metrics(): DaemonMetrics {
    return this.state.metrics(this.scheduler.now(), this.startedAt);
  }

  health(): DaemonHealth {
    if (this.phase !== 'running') {
      return { status: 'stopped', reason: this.phase === 'idle' ? 'not started' : this.phase };
    }
    const { maxFailureRatio = 0.5, maxQueued = 1000 } = this.config.health ?? {};
    const ratio = this.state.failureRatio;
    if (ratio > maxFailureRatio) {
      return {
        status: 'degraded',
        reason: `${Math.round(ratio * 100)}% of recent runs failed (limit ${maxFailureRatio * 100}%)`,
      };
    }
    const queued = this.state.queued;
    if (queued > maxQueued)
      return { status: 'degraded', reason: `${queued} runs queued (limit ${maxQueued})` };
    return { status: 'healthy', reason: 'ok' };
  }

  /** Finished runs, newest first (at most `completedCacheSize`), of one operation or all. */
  recent(operationId?: string): OperationResult[] {
    return this.state.recent(operationId);
  }

  // PoolSink

  admitted(index: number, job: Job): void {
    job.poolIndex = index;
  }

  started(run: TaskRun<Job, unknown>): void {
    const job = run.input;
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

  succeeded(run: TaskRun<Job, unknown>, value: unknown): void {
    this.finish(run.input, 'succeeded', value, undefined, run.attempts);
  }

  failed(run: TaskRun<Job, unknown>, error: unknown): void {
    this.finish(run.input, 'failed', undefined, error, run.attempts);
  }

  cancelled(_index: number, job: Job, wasRunning: boolean): void {
    this.finish(job, 'cancelled', undefined, undefined, wasRunning ? 1 : 0);
  }

  inputClosed(): void {}

  drained(): void {}

  private dispatch(
    entry: Entry,
    payload: unknown,
    trigger: TriggerFire | undefined,
    resolve?: (r: OperationResult) => void,
  ): Job {
    const job = this.newJob(entry, payload, trigger, resolve);
    const at = job.enqueuedAt;
    this.emit({
      type: 'operation:enqueued',
      daemonId: this.id,
      at,
      operationId: entry.operation.id,
      runId: job.runId,
      trigger,
    });
    const overlap = entry.operation.overlap ?? 'skip';
    if (entry.active > 0 && overlap === 'skip') this.report(job, 'skipped', undefined, undefined, 0);
    else if (entry.active > 0 && overlap === 'queue') (entry.backlog ??= new Queue<Job>()).push(job);
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
    };
  }

  /** Gives up a run: torn down if admitted, reported cancelled (and skipped later) if still in a backlog. */
  private cancelJob(job: Job): void {
    if (job.settled) return;
    if (job.poolIndex >= 0) this.pool?.cancel(job.poolIndex);
    else this.report(job, 'cancelled', undefined, undefined, 0);
  }

  private admit(job: Job): void {
    job.entry.active++;
    this.pool!.admit(job);
  }

  private runJob(job: Job, run: TaskRun<Job, unknown>): ObservableInput<unknown> {
    const { operation } = job.entry;
    if (operation.retry === undefined && operation.timeoutMs === undefined) {
      return operation.run(new SingleRunContext(job, run));
    }
    return withAttempts(
      (attempt, signal) =>
        operation.run({
          operationId: operation.id,
          runId: job.runId,
          payload: job.payload as never,
          trigger: job.trigger,
          attempt,
          signal,
        }),
      {
        retry: operation.retry,
        timeoutMs: operation.timeoutMs,
        scheduler: this.scheduler,
        random: this.config.random,
        onAttempt: (attempt) => (run.attempts = attempt),
        onRetry: (attempt, error, delayMs) =>
          this.emit({
            type: 'operation:retrying',
            daemonId: this.id,
            at: this.scheduler.now(),
            operationId: operation.id,
            runId: job.runId,
            attempt,
            error,
            delayMs,
          }),
      },
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
    const { entry } = job;
    entry.active--;
    this.report(job, status, value, error, attempts);
    const { backlog } = entry;
    while (entry.active === 0 && backlog !== undefined && backlog.length > 0 && this.phase === 'running') {
      const next = backlog.shift();
      if (!next.settled) this.admit(next); // one given up while queued was reported already
    }
    if (this.stopping?.draining && this.pool!.activeCount === 0) this.finishStopping();
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
      operationId: job.entry.operation.id,
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
    this.config.receipts?.append({
      kind: 'operation-run',
      daemonId: this.id,
      operationId: result.operationId,
      runId: result.runId,
      status,
      attempts,
      enqueuedAt: result.enqueuedAt,
      startedAt: result.startedAt ?? null,
      endedAt,
      error: errorRecord(result.error),
    });
    this.emit({
      type: `operation:${status}`,
      daemonId: this.id,
      at: endedAt,
      operationId: result.operationId,
      runId: job.runId,
      result,
    });
    job.resolve?.(result);
  }

  private cancelBacklog(entry: Entry): void {
    const { backlog } = entry;
    while (backlog !== undefined && backlog.length > 0) {
      const job = backlog.shift();
      if (!job.settled) this.report(job, 'cancelled', undefined, undefined, 0);
    }
  }

  private listen(entry: Entry): void {
    entry.triggerSubscription = entry.trigger?.subscribe({
      next: (fire) => this.dispatch(entry, undefined, fire),
      // A trigger that breaks is reported as a failed run of its operation, not lost.
      error: (error: unknown) => {
        this.report(this.newJob(entry, undefined, undefined, undefined), 'failed', undefined, error, 0);
      },
    });
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

  private emit(event: DaemonEvent): void {
    this.state.apply(event);
    if (this.subject.observed) this.subject.next(event); // nobody listening: skip rxjs's dispatch
  }
}

/**
 * A daemon: one worker pool of `maxConcurrent` shared by every operation, triggers on an injected
 * scheduler, events as the single source of truth for metrics, health and recent results.
 *
 * @throws ConfigError naming every bad field of `config`
 */
export function createDaemon(config: DaemonConfig = {}): Daemon {
  validateDaemonConfig(config);
  return new Daemon(config);
}
