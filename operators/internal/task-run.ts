import { from, type Subscription } from 'rxjs';
import { CancelledError, EmptyResultError } from '../errors.js';
import { isObservableLike, isPromiseLike, type TaskOutput } from './task-output.js';

/** What a pool task receives besides its input. */
export interface TaskContext {
  /** 0-based admission order of the input. */
  readonly index: number;
  /** Aborted with a {@link CancelledError} if the task is torn down before it settled. */
  readonly signal: AbortSignal;
}

/** Told exactly once how a run ended, after the run's inner subscription is torn down. */
export interface RunHost<I, R> {
  succeeded(run: TaskRun<I, R>, value: R): void;
  failed(run: TaskRun<I, R>, error: unknown): void;
}

const RUNNING = 0;
const SETTLED = 1;
const CANCELLED = 2;

/**
 * One running task. It costs one object, plus an AbortController only if the task reads `signal`.
 * Promises take a direct `then` path, observables are subscribed (their result is the last value
 * they emitted), and anything else is the result as it is (see {@link TaskOutput}). Its owner hands
 * user code a context of its own (with `signal` as an own property), never the run itself.
 */
export class TaskRun<I, R> {
  private state = RUNNING;
  private controller: AbortController | undefined;
  private subscription: Subscription | undefined;
  private subscribing = false;
  private outcomeOk = false;
  private outcome: unknown;
  /** Intrusive links in the pool's list of running tasks: O(1) unlinking without a Map or Set. */
  previous: TaskRun<I, R> | undefined;
  next: TaskRun<I, R> | undefined;
  /** Attempts made so far; a retrying task wrapper (the MI engine's) counts them here. */
  attempts = 1;
  /** A name the pool's owner may cache here (the MI engine's instance id). */
  label: string | undefined;

  constructor(
    readonly index: number,
    readonly input: I,
    private readonly host: RunHost<I, R>,
  ) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      // A task may look at its signal only after it was cancelled: it must see it aborted.
      if (this.state === CANCELLED) this.controller.abort(new CancelledError());
    }
    return this.controller.signal;
  }

  get settled(): boolean {
    return this.state !== RUNNING;
  }

  start(task: (input: I, run: TaskRun<I, R>) => TaskOutput<R>): void {
    let result: TaskOutput<R>;
    try {
      result = task(this.input, this);
      if (isPromiseLike<R>(result)) {
        result.then(
          (value) => this.settle(true, value),
          (error: unknown) => this.settle(false, error),
        );
        return;
      }
      if (!isObservableLike<R>(result)) return this.settle(true, result);
      this.subscribing = true;
      let last: R | undefined;
      let hasValue = false;
      const subscription = from(result).subscribe({
        next: (value) => {
          last = value;
          hasValue = true;
        },
        error: (error: unknown) => this.settle(false, error),
        complete: () => (hasValue ? this.settle(true, last) : this.settle(false, new EmptyResultError())),
      });
      this.subscribing = false;
      if (this.state === RUNNING) this.subscription = subscription;
      else this.report();
    } catch (error) {
      this.subscribing = false;
      this.settle(false, error);
    }
  }

  /** Tears the run down; its signal is aborted only if it had not settled. */
  cancel(): void {
    if (this.state !== RUNNING) return;
    this.state = CANCELLED;
    this.subscription?.unsubscribe();
    this.controller?.abort(new CancelledError());
  }

  private settle(ok: boolean, outcome: unknown): void {
    if (this.state !== RUNNING) return;
    this.state = SETTLED;
    this.outcomeOk = ok;
    this.outcome = outcome;
    // Settled inside subscribe(): rxjs tears the inner down when subscribe returns; report then,
    // so the slot is never handed on while the finished inner is still subscribed.
    if (this.subscribing) return;
    this.subscription?.unsubscribe();
    this.report();
  }

  private report(): void {
    const outcome = this.outcome;
    this.outcome = undefined;
    if (this.outcomeOk) this.host.succeeded(this, outcome as R);
    else this.host.failed(this, outcome);
  }
}
