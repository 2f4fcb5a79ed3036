import { asyncScheduler, type ObservableInput, type Subscriber, Subscription } from 'rxjs';
import { allSettled, copyCounters, countEvent, emptyCounters, type Rule } from '../../operators/index.js';
import { Pool, type PoolSink, type PullIntake } from '../../operators/internal/pool.js';
import type { TaskRun } from '../../operators/internal/task-run.js';
import { withAttempts } from '../../operators/internal/attempts.js';
import { BackpressureError, MaxInstancesError, MinInstancesError } from '../errors.js';
import { errorRecord } from '../receipts/receipt-log.js';
import { InstanceTable } from './instance-table.js';
import type { MIDecidedEvent, MIEvent } from './mi-event.js';
import type { MIReason, MIResult, MIStatus } from './mi-result.js';
import type { InstanceContext, MISpec } from './spec.js';

const DEFAULT_MAX_BUFFERED = 100_000;

interface Decision {
  readonly status: MIStatus;
  readonly reason: MIReason;
}

/** The context of a first and only attempt: no object beyond the run it reads from. */
class SingleAttemptContext<I, R> implements InstanceContext {
  readonly attempt = 1;

  constructor(
    private readonly run: TaskRun<I, R>,
    readonly instanceId: string,
  ) {}

  get index(): number {
    return this.run.index;
  }

  get signal(): AbortSignal {
    return this.run.signal;
  }
}

/**
 * One subscription to a multiple-instance task: it drives a {@link Pool}, turns what the pool
 * reports into MI events, keeps the counters and instance records those events imply, evaluates the
 * completion rule after every terminal event and when input closes, and carries out the decision
 * (cancel or detach the rest). Events are the only source of truth: counters and records are folds
 * of exactly what is emitted.
 */
export class MIRun<I, R> implements PoolSink<I, R> {
  private readonly pool: Pool<I, R>;
  private readonly counters = emptyCounters();
  private readonly table: InstanceTable<R> | undefined;
  private readonly scheduler;
  private readonly taskId: string;
  private readonly caseId: string;
  private readonly rule: Rule;
  private readonly subscriptions = new Subscription();
  private decision: Decision | undefined;
  private deciding = false;
  private decidedEmitted = false;
  private ended = false;
  private lastFailure: unknown;

  constructor(
    private readonly spec: MISpec<I, R>,
    private readonly subscriber: Subscriber<MIEvent<I, R>>,
  ) {
    this.scheduler = spec.scheduler ?? asyncScheduler;
    this.taskId = spec.taskId;
    this.caseId = spec.caseId ?? spec.taskId;
    this.rule = spec.completion ?? allSettled();
    this.table = spec.keep === 'summary' ? undefined : new InstanceTable<R>();
    this.pool = new Pool(
      this.instanceTask(),
      this,
      typeof spec.concurrency === 'number' ? spec.concurrency : 0,
    );
  }

  get closed(): boolean {
    return this.ended || this.subscriber.closed;
  }

  /** Subscribes to the spec's control streams: concurrency, cancel, complete, abort. */
  connectControls(): void {
    const { concurrency, cancel, complete, abort } = this.spec;
    const fail = (error: unknown) => this.fail(error);
    if (typeof concurrency !== 'number') {
      this.subscriptions.add(
        concurrency.subscribe({ next: (limit) => this.pool.setLimit(limit), error: fail }),
      );
    }
    const cancelOne = (index: number) => {
      if (!this.decision) this.pool.cancel(index);
    };
    if (cancel) this.subscriptions.add(cancel.subscribe({ next: cancelOne, error: fail }));
    if (complete) {
      this.subscriptions.add(
        complete.subscribe({ next: () => this.decide('completed', 'forced'), error: fail }),
      );
    }
    if (abort) {
      this.subscriptions.add(
        abort.subscribe({ next: () => this.decide('cancelled', 'aborted', undefined, true), error: fail }),
      );
    }
  }

  add(teardown: Subscription | (() => void)): void {
    this.subscriptions.add(teardown);
  }

  /** Pulls inputs from a lazy source whenever a slot is free. */
  pullFrom(intake: PullIntake): void {
    this.pool.pullFrom(intake);
  }

  /** An input pushed by an Observable source. */
  offer(input: I): void {
    if (this.decision) return this.refuse(input, 'decided');
    const { maxInstances, maxBuffered = DEFAULT_MAX_BUFFERED } = this.spec;
    if (maxInstances !== undefined && this.counters.admitted >= maxInstances)
      return this.refuse(input, 'max-instances');
    if (this.pool.waitingCount >= maxBuffered) {
      return this.decide('failed', 'backpressure', new BackpressureError(maxBuffered));
    }
    this.pool.admit(input);
  }

  /** An input pulled from a lazy source (an async pull may resolve after the decision: refused then). */
  pulled(input: I): void {
    if (this.decision) return this.refuse(input, 'decided');
    const { maxInstances } = this.spec;
    if (maxInstances !== undefined && this.counters.admitted >= maxInstances) {
      return this.decide('failed', 'max-instances', new MaxInstancesError(maxInstances, maxInstances + 1));
    }
    this.pool.admit(input);
  }

  inputDone(): void {
    this.pool.closeInput();
  }

  /** A source of known length over `maxInstances`: decided before anything starts. */
  refuseOversized(length: number, maxInstances: number): void {
    this.decide('failed', 'max-instances', new MaxInstancesError(maxInstances, length));
  }

  /** The source (not a task) failed: the stream errors and everything is torn down. */
  fail(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.subscriber.error(error);
  }

  dispose(): void {
    this.ended = true;
    this.pool.teardown();
    this.subscriptions.unsubscribe();
  }

  // PoolSink: what the pool reports

  admitted(index: number, input: I): void {
    const { taskId, caseId } = this;
    const at = this.scheduler.now();
    this.emit({ type: 'admitted', taskId, caseId, at, index, instanceId: `${taskId}#${index}`, input });
  }

  started(run: TaskRun<I, R>): void {
    const { taskId, caseId } = this;
    const at = this.scheduler.now();
    this.emit({ type: 'started', taskId, caseId, at, index: run.index, instanceId: this.idOf(run) });
  }

  succeeded(run: TaskRun<I, R>, value: R): void {
    if (this.decision) return this.late(run, { outcome: 'succeeded', value });
    const { taskId, caseId } = this;
    const at = this.scheduler.now();
    const { index, attempts } = run;
    this.emit({ type: 'succeeded', taskId, caseId, at, index, instanceId: this.idOf(run), value, attempts });
    this.evaluate();
  }

  failed(run: TaskRun<I, R>, error: unknown): void {
    if (this.decision) return this.late(run, { outcome: 'failed', error });
    const { taskId, caseId } = this;
    const at = this.scheduler.now();
    const { index, attempts } = run;
    this.lastFailure = error;
    this.emit({ type: 'failed', taskId, caseId, at, index, instanceId: this.idOf(run), error, attempts });
    this.evaluate();
  }

  cancelled(index: number, _input: I, wasRunning: boolean): void {
    const { taskId, caseId } = this;
    const at = this.scheduler.now();
    this.emit({ type: 'cancelled', taskId, caseId, at, index, instanceId: `${taskId}#${index}`, wasRunning });
    this.evaluate();
  }

  inputClosed(total: number): void {
    if (this.decision) return;
    this.emit({
      type: 'inputClosed',
      taskId: this.taskId,
      caseId: this.caseId,
      at: this.scheduler.now(),
      total,
    });
    const { minInstances } = this.spec;
    if (minInstances !== undefined && total < minInstances) {
      return this.decide('failed', 'min-instances', new MinInstancesError(minInstances, total));
    }
    this.evaluate();
  }

  drained(): void {
    if (this.deciding) return;
    // A rule that never decided though everything settled ends as all-settled, as completeWhen does.
    if (!this.decision) this.decide('completed', 'all-settled');
    else this.end();
  }

  private retrying(run: TaskRun<I, R>, attempt: number, error: unknown, delayMs: number): void {
    if (this.decision) return; // detached instances report only their `late` outcome
    const { taskId, caseId } = this;
    const at = this.scheduler.now();
    this.emit({
      type: 'retrying',
      taskId,
      caseId,
      at,
      index: run.index,
      instanceId: this.idOf(run),
      attempt,
      error,
      delayMs,
    });
  }

  /** A detached instance's outcome, after a `remaining: 'detach'` decision. */
  private late(
    run: TaskRun<I, R>,
    outcome: { outcome: 'succeeded'; value: R } | { outcome: 'failed'; error: unknown },
  ): void {
    const { taskId, caseId } = this;
    const at = this.scheduler.now();
    this.emit({
      type: 'late',
      taskId,
      caseId,
      at,
      index: run.index,
      instanceId: this.idOf(run),
      attempts: run.attempts,
      ...outcome,
    });
  }

  /** `taskId#index`, made once per running instance. */
  private idOf(run: TaskRun<I, R>): string {
    return (run.label ??= `${this.taskId}#${run.index}`);
  }

  private refuse(input: I, reason: 'max-instances' | 'decided'): void {
    this.emit({
      type: 'refused',
      taskId: this.taskId,
      caseId: this.caseId,
      at: this.scheduler.now(),
      input,
      reason,
    });
  }

  private emit(event: Exclude<MIEvent<I, R>, { type: 'decided' }>): void {
    // Counters stop at the decision; its own cancellations (emitted while deciding) still count.
    if (
      !this.decidedEmitted &&
      event.type !== 'refused' &&
      event.type !== 'retrying' &&
      event.type !== 'late'
    ) {
      countEvent(this.counters, event);
    }
    this.table?.apply(event);
    this.subscriber.next(event);
  }

  private evaluate(): void {
    if (this.decision || this.ended) return;
    const verdict = this.rule(this.counters);
    if (verdict !== 'continue') {
      this.decide(verdict.status, verdict.reason, verdict.status === 'failed' ? this.lastFailure : undefined);
    }
  }

  /**
   * Carries out a decision: withdraw waiting inputs, cancel (or detach) running instances, emit
   * `decided` with the result, and end — at once, or in detach mode when the last detached one ends.
   */
  private decide(status: MIStatus, reason: MIReason, cause?: unknown, cancelAll = false): void {
    if (this.decision || this.ended) return;
    const detach = this.spec.remaining === 'detach' && !cancelAll;
    this.deciding = true;
    this.decision = { status, reason };
    this.pool.stopIntake();
    if (!detach) this.pool.cancelRunning();
    this.deciding = false;
    const counters = copyCounters(this.counters);
    const result: MIResult<R> = {
      taskId: this.taskId,
      caseId: this.caseId,
      status,
      reason,
      counters,
      instances: [],
      values: [],
    };
    const event: MIDecidedEvent<R> = {
      type: 'decided',
      taskId: this.taskId,
      caseId: this.caseId,
      at: this.scheduler.now(),
      status,
      reason,
      counters,
      result,
      ...(cause !== undefined ? { cause } : {}),
    };
    this.table?.apply(event); // marks the running ones detached before the snapshot
    if (this.table) Object.assign(result, { instances: this.table.snapshot(), values: this.table.values() });
    this.decidedEmitted = true;
    this.spec.receipts?.append({
      kind: 'mi-decision',
      taskId: this.taskId,
      caseId: this.caseId,
      status,
      reason,
      counters: { ...counters },
      at: event.at,
      cause: errorRecord(cause),
    });
    this.subscriber.next(event);
    if (this.pool.activeCount === 0) this.end();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.subscriber.complete();
    this.dispose();
  }

  /** The pool task: `run` with the instance context, wrapped in timeout and retries when the spec asks. */
  private instanceTask(): (input: I, run: TaskRun<I, R>) => ObservableInput<R> {
    const { run: work, retry, instanceTimeoutMs, random } = this.spec;
    if (!retry && instanceTimeoutMs === undefined) {
      return (input, run) => work(input, new SingleAttemptContext(run, this.idOf(run)));
    }
    const scheduler = this.scheduler;
    return (input, run) => {
      const instanceId = this.idOf(run);
      return withAttempts(
        (attempt, signal) => work(input, { index: run.index, instanceId, attempt, signal }),
        {
          retry,
          timeoutMs: instanceTimeoutMs,
          scheduler,
          random,
          onAttempt: (attempt) => (run.attempts = attempt),
          onRetry: (attempt, error, delayMs) => this.retrying(run, attempt, error, delayMs),
        },
      );
    };
  }
}
