import { asyncScheduler, type Subscriber, Subscription } from 'rxjs';
import { allSettled, type Rule, type Verdict } from '../../operators/index.js';
import {
  attemptsOf,
  copyCounters,
  countEvent,
  emptyCounters,
  guard,
  parseIndex,
  parseLimit,
  withSignal,
  Pool,
  type PoolSink,
  type PullIntake,
  type TaskOutput,
  type TaskRun,
} from '../../operators/internal/index.js';
import { BackpressureError, MaxInstancesError, MinInstancesError } from '../errors.js';
import { publishMIEvent } from './mi-channel.js';
import { MITrace } from './mi-trace.js';
import type { MIDecidedEvent, MIEvent } from './mi-event.js';
import type { MIReason, MIResult, MIStatus } from './mi-result.js';
import type { MISpec } from './spec.js';

const DEFAULT_MAX_BUFFERED = 100_000;

/**
 * Where a run is: admitting and running instances (`open`), carrying out a decision (`deciding`:
 * its own cancellations still count), decided with detached instances still running (`decided`),
 * or over (`ended`: completed, errored or unsubscribed).
 */
type Phase = 'open' | 'deciding' | 'decided' | 'ended';

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
  private readonly scheduler;
  private readonly taskId: string;
  private readonly caseId: string;
  private readonly rule: Rule;
  private readonly subscriptions = new Subscription();
  private phase: Phase = 'open';
  /** While a batch of events happens at one instant (static admission, a decision): that instant. */
  private instant: number | undefined;
  private lastFailure: unknown;
  /** Spans, when an OpenTelemetry SDK records; undefined (and free) otherwise. */
  private readonly trace: MITrace | undefined;
  /**
   * Who sees each event besides the subscriber: the trace and MI_CHANNEL (undefined when the spec
   * opts out). One call in `emit`, decided once: the checks inline in `emit` cost 35 % of MI
   * throughput (V8 stopped inlining it).
   */
  private readonly watch: ((event: MIEvent<unknown, unknown>) => void) | undefined;

  constructor(
    private readonly spec: MISpec<I, R>,
    private readonly subscriber: Subscriber<MIEvent<I, R>>,
  ) {
    this.scheduler = spec.scheduler ?? asyncScheduler;
    this.taskId = spec.taskId;
    this.caseId = spec.caseId ?? spec.taskId;
    this.rule = spec.completion ?? allSettled();
    const observed = spec.telemetry !== false;
    const trace = observed ? MITrace.start(this.taskId, this.caseId) : undefined;
    this.trace = trace;
    this.watch = !observed
      ? undefined
      : trace
        ? (event) => {
            trace.observe(event);
            publishMIEvent(event);
          }
        : publishMIEvent;
    this.pool = new Pool(
      this.instanceTask(),
      this,
      typeof spec.concurrency === 'number' ? spec.concurrency : 0,
    );
  }

  get closed(): boolean {
    return this.phase === 'ended' || this.subscriber.closed;
  }

  private get undecided(): boolean {
    return this.phase === 'open';
  }

  /** Subscribes to the spec's control streams: concurrency, cancel, complete, abort. */
  connectControls(): void {
    const { concurrency, cancel, complete, abort } = this.spec;
    const fail = (error: unknown) => this.fail(error);
    const sink = { error: fail };
    if (typeof concurrency !== 'number') {
      const setLimit = guard(sink, (limit: number) =>
        this.pool.setLimit(parseLimit('multiple-instance concurrency', limit)),
      );
      this.subscriptions.add(concurrency.subscribe({ next: setLimit, error: fail }));
    }
    const cancelOne = guard(sink, (index: number) => {
      parseIndex('multiple-instance cancel', index);
      if (this.undecided) this.pool.cancel(index);
    });
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
    if (!this.undecided) return this.refuse(input, 'decided');
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
    if (!this.undecided) return this.refuse(input, 'decided');
    const { maxInstances } = this.spec;
    if (maxInstances !== undefined && this.counters.admitted >= maxInstances) {
      return this.decide('failed', 'max-instances', new MaxInstancesError(maxInstances, maxInstances + 1));
    }
    this.pool.admit(input);
  }

  inputDone(): void {
    this.pool.closeInput();
  }

  /** A source of known length (a count, an array): every instance is admitted now, pending. */
  admitAll(inputs: readonly I[], owned = false): void {
    this.atOneInstant(() => this.pool.admitAll(inputs, owned));
  }

  /** A source of known length over `maxInstances`: decided before anything starts. */
  refuseOversized(length: number, maxInstances: number): void {
    this.decide('failed', 'max-instances', new MaxInstancesError(maxInstances, length));
  }

  /** The source (not a task) failed: the stream errors and everything is torn down. */
  fail(error: unknown): void {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    this.subscriber.error(error);
  }

  dispose(): void {
    this.phase = 'ended';
    this.trace?.end();
    this.pool.teardown();
    this.subscriptions.unsubscribe();
  }

  // PoolSink: what the pool reports

  admitted(index: number, input: I): void {
    const { taskId, caseId } = this;
    const at = this.now();
    this.emit({ type: 'admitted', taskId, caseId, at, index, instanceId: `${taskId}#${index}`, input });
  }

  started(run: TaskRun<I, R>): void {
    const { taskId, caseId } = this;
    const at = this.now();
    this.emit({ type: 'started', taskId, caseId, at, index: run.index, instanceId: this.idOf(run) });
  }

  succeeded(run: TaskRun<I, R>, value: R): void {
    if (!this.undecided) return this.late(run, { outcome: 'succeeded', value });
    const { taskId, caseId } = this;
    const at = this.now();
    const { index, attempts } = run;
    this.emit({ type: 'succeeded', taskId, caseId, at, index, instanceId: this.idOf(run), value, attempts });
    this.evaluate();
  }

  failed(run: TaskRun<I, R>, error: unknown): void {
    if (!this.undecided) return this.late(run, { outcome: 'failed', error });
    const { taskId, caseId } = this;
    const at = this.now();
    const { index, attempts } = run;
    this.lastFailure = error;
    this.emit({ type: 'failed', taskId, caseId, at, index, instanceId: this.idOf(run), error, attempts });
    this.evaluate();
  }

  cancelled(index: number, _input: I, wasRunning: boolean): void {
    const { taskId, caseId } = this;
    const at = this.now();
    this.emit({ type: 'cancelled', taskId, caseId, at, index, instanceId: `${taskId}#${index}`, wasRunning });
    this.evaluate();
  }

  inputClosed(total: number): void {
    if (!this.undecided) return;
    this.emit({
      type: 'inputClosed',
      taskId: this.taskId,
      caseId: this.caseId,
      at: this.now(),
      total,
    });
    const { minInstances } = this.spec;
    if (minInstances !== undefined && total < minInstances) {
      return this.decide('failed', 'min-instances', new MinInstancesError(minInstances, total));
    }
    this.evaluate();
  }

  drained(): void {
    if (this.phase === 'deciding') return;
    // A rule that never decided though everything settled ends as all-settled, as completeWhen does.
    if (this.undecided) this.decide('completed', 'all-settled');
    else this.end();
  }

  private retrying(run: TaskRun<I, R>, attempt: number, error: unknown, delayMs: number): void {
    if (!this.undecided) return; // detached instances report only their `late` outcome
    const { taskId, caseId } = this;
    const at = this.now();
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
    const at = this.now();
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
      at: this.now(),
      input,
      reason,
    });
  }

  private emit(event: Exclude<MIEvent<I, R>, { type: 'decided' }>): void {
    // Counters stop at the decision; its own cancellations (emitted while deciding) still count.
    if (
      (this.phase === 'open' || this.phase === 'deciding') &&
      event.type !== 'refused' &&
      event.type !== 'retrying' &&
      event.type !== 'late'
    ) {
      countEvent(this.counters, event);
    }
    this.watch?.(event);
    this.subscriber.next(event);
  }

  private evaluate(): void {
    if (!this.undecided) return;
    let verdict: Verdict;
    try {
      verdict = this.rule(this.counters);
    } catch (error) {
      return this.fail(error); // a rule (or its predicate) that throws errors the stream
    }
    if (verdict !== 'continue') {
      this.decide(verdict.status, verdict.reason, verdict.status === 'failed' ? this.lastFailure : undefined);
    }
  }

  /**
   * Carries out a decision: withdraw waiting inputs, cancel (or detach) running instances, emit
   * `decided` with the result, and end — at once, or in detach mode when the last detached one ends.
   */
  private decide(status: MIStatus, reason: MIReason, cause?: unknown, cancelAll = false): void {
    if (!this.undecided) return;
    const detach = this.spec.remaining === 'detach' && !cancelAll;
    this.phase = 'deciding';
    this.atOneInstant(() => {
      this.pool.stopIntake();
      if (!detach) this.pool.cancelRunning();
    });
    if (this.closed) return; // a consumer unsubscribed on one of the cancellations
    this.phase = 'decided';
    const counters = copyCounters(this.counters);
    const result: MIResult<R> = {
      taskId: this.taskId,
      caseId: this.caseId,
      status,
      reason,
      counters,
      instances: [], // filled in by the `withInstanceRecords` consumer unless keep is 'summary'
      values: [],
    };
    const event: MIDecidedEvent<R> = {
      type: 'decided',
      taskId: this.taskId,
      caseId: this.caseId,
      at: this.now(),
      status,
      reason,
      counters,
      result,
      ...(cause !== undefined ? { cause } : {}),
    };
    this.watch?.(event);
    this.subscriber.next(event);
    if (this.pool.activeCount === 0) this.end();
  }

  /** Scheduler time, read once for a batch of events that happen at one instant. */
  private now(): number {
    return this.instant ?? this.scheduler.now();
  }

  private atOneInstant(batch: () => void): void {
    if (this.instant !== undefined) return batch();
    this.instant = this.scheduler.now();
    try {
      batch();
    } finally {
      this.instant = undefined;
    }
  }

  private end(): void {
    if (this.phase === 'ended') return;
    this.phase = 'ended';
    this.subscriber.complete();
    this.dispose();
  }

  /** The pool task: `run` with the instance context, wrapped in timeout and retries when the spec asks. */
  private instanceTask(): (input: I, run: TaskRun<I, R>) => TaskOutput<R> {
    const { run: work, retry, instanceTimeoutMs: timeoutMs, random } = this.spec;
    const { taskId, caseId, scheduler } = this;
    const attempts = retry !== undefined || timeoutMs !== undefined;
    return (input, run) => {
      const { index } = run;
      const instanceId = this.idOf(run);
      const policy = attempts
        ? {
            retry,
            timeoutMs,
            scheduler,
            random,
            onRetry: (attempt: number, error: unknown, delayMs: number) =>
              this.retrying(run, attempt, error, delayMs),
          }
        : undefined;
      // One context per attempt, its fields its own: spreading it keeps a live `signal`. Traced,
      // the attempt runs with its instance span active; untraced, nothing is wrapped.
      const { trace } = this;
      if (trace === undefined)
        return attemptsOf(run, policy, (attempt, signal) =>
          work(input, withSignal({ taskId, caseId, index, instanceId, attempt }, run, signal)),
        );
      return attemptsOf(run, policy, (attempt, signal) =>
        trace.around(index, attempt, () =>
          work(input, withSignal({ taskId, caseId, index, instanceId, attempt }, run, signal)),
        ),
      );
    };
  }
}
