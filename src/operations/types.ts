import type { Observable, SchedulerLike } from 'rxjs';
import type { TaskOutput } from '../../operators/index.js';
import type { RetryPolicy } from '../instances/spec.js';
import type { ReceiptLog } from '../receipts/receipt-log.js';
import type { TriggerConfig, TriggerSources } from '../triggers/trigger-config.js';
import type { TriggerFire } from '../triggers/trigger-fire.js';

/** What an operation's `run` receives, per attempt. */
export interface OperationContext<P = unknown> {
  readonly operationId: string;
  /** `operationId#n`, unique per run within a daemon. */
  readonly runId: string;
  readonly payload: P | undefined;
  /** The firing that started this run, if a trigger did. */
  readonly trigger: TriggerFire | undefined;
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number;
  /** Aborted with a `CancelledError` when the attempt is torn down (timeout, stop). */
  readonly signal: AbortSignal;
}

/** What to do with a run that comes while the same operation is still running. */
export type OverlapPolicy = 'skip' | 'queue' | 'allow';

/** An operation the daemon runs on its trigger or on `execute`. */
export interface Operation<P = unknown, R = unknown> {
  readonly id: string;
  readonly name?: string;
  /** When it runs by itself: a trigger config or any Observable of firings. */
  readonly trigger?: TriggerConfig | Observable<TriggerFire>;
  /** Returns the run's value: plain, a Promise of it, or an Observable (its last value). */
  readonly run: (context: OperationContext<P>) => TaskOutput<R>;
  /** `skip` (default): a run that finds one active is skipped; `queue`: it runs after; `allow`: in parallel. */
  readonly overlap?: OverlapPolicy;
  readonly timeoutMs?: number;
  readonly retry?: RetryPolicy;
}

/**
 * How one run ended. `execute` resolves with it whatever the outcome. Every field is always present
 * (one object shape for every result keeps the hot path monomorphic).
 */
export interface OperationResult<R = unknown> {
  /** The operation's id. */
  readonly id: string;
  readonly runId: string;
  readonly status: 'succeeded' | 'failed' | 'skipped' | 'cancelled';
  /** The run's result when it succeeded. */
  readonly value: R | undefined;
  /** Why it failed, when it failed. */
  readonly error: unknown;
  readonly attempts: number;
  readonly enqueuedAt: number;
  /** Undefined when it never started (skipped, or cancelled while waiting). */
  readonly startedAt: number | undefined;
  readonly endedAt: number;
}

export interface DaemonConfig {
  /** Names the daemon in events and errors (default `'daemon'`). */
  readonly id?: string;
  /** Runs at once, all operations together (default 5). */
  readonly maxConcurrent?: number;
  /** Finished runs kept for `recent()` (default 1000). */
  readonly completedCacheSize?: number;
  readonly scheduler?: SchedulerLike;
  /** The streams reactive, event and idle triggers listen to. */
  readonly sources?: Omit<TriggerSources, 'scheduler'>;
  /** When `health()` says degraded. */
  readonly health?: HealthPolicy;
  /** Uniform [0, 1) numbers for retry jitter (default `Math.random`). */
  readonly random?: () => number;
  /** A receipt log: one receipt is appended per finished run (any status). */
  readonly receipts?: ReceiptLog;
  /**
   * Where interval and cron triggers are shared with other daemons (`createBullTransport` from
   * `rxdaemon/bullmq` is one): each tick fires on one daemon of all those sharing it.
   */
  readonly transport?: TriggerTransport;
}

/** An interval or cron trigger: the kinds a {@link TriggerTransport} shares. */
export type TimeTriggerConfig = Extract<TriggerConfig, { readonly type: 'interval' | 'cron' }>;

/**
 * Time triggers shared by every daemon on one transport. The daemon subscribes to an operation's
 * shared trigger instead of building its own timer; each tick is delivered to one subscriber of all
 * the daemons sharing the operation id.
 */
export interface TriggerTransport {
  sharedTrigger(operationId: string, trigger: TimeTriggerConfig): Observable<TriggerFire>;
}

/** When `health()` says degraded. */
export interface HealthPolicy {
  /** Failed share of the last 100 finished runs above which the daemon is degraded (default 0.5). */
  readonly maxFailureRatio?: number;
  /** Runs that must have succeeded or failed before the ratio is judged (default 10). */
  readonly minSample?: number;
  /** Waiting runs above which the daemon is degraded (default 1000). */
  readonly maxQueued?: number;
}

/** One registered operation, as `daemon.operations()` lists it. */
export interface OperationInfo {
  readonly id: string;
  readonly name?: string;
  readonly overlap: OverlapPolicy;
  /** The kind of its trigger config, `'custom'` for an Observable, `'none'` without a trigger. */
  readonly trigger: TriggerConfig['type'] | 'custom' | 'none';
  /** Its runs running now. */
  readonly active: number;
  /** Its runs waiting behind the active one (`overlap: 'queue'`). */
  readonly queued: number;
  /** Failures of its trigger in a row (0 while it works): it is resubscribed after a backoff. */
  readonly triggerFailures: number;
}

export interface DaemonEventBase {
  readonly daemonId: string;
  readonly at: number;
}

export interface RunEventBase extends DaemonEventBase {
  readonly operationId: string;
  readonly runId: string;
}

export type DaemonEvent =
  | (DaemonEventBase & { readonly type: 'daemon:started' })
  | (DaemonEventBase & { readonly type: 'daemon:stopped'; readonly cancelled: number })
  | (RunEventBase & { readonly type: 'operation:enqueued'; readonly trigger: TriggerFire | undefined })
  | (RunEventBase & { readonly type: 'operation:started' })
  | (RunEventBase & {
      readonly type: 'operation:retrying';
      readonly attempt: number;
      readonly error: unknown;
      readonly delayMs: number;
    })
  | OperationEndedEvent
  | (DaemonEventBase & {
      /** A trigger errored: its run is reported failed, and it is subscribed again after `retryInMs`. */
      readonly type: 'trigger:failed';
      readonly operationId: string;
      readonly error: unknown;
      readonly retryInMs: number;
    })
  | (DaemonEventBase & {
      /** The receipt log could not record a run; the run's outcome stands. */
      readonly type: 'daemon:receipt-failed';
      readonly runId: string;
      readonly error: unknown;
    })
  | (DaemonEventBase & {
      /** A listener of `daemon.events` threw; the daemon and the other listeners carry on. */
      readonly type: 'daemon:listener-failed';
      readonly error: unknown;
    });

/** How a run ended: one event per run, carrying its result. */
export type OperationEndedEvent = RunEventBase & {
  readonly type: 'operation:succeeded' | 'operation:failed' | 'operation:skipped' | 'operation:cancelled';
  readonly result: OperationResult;
};

export interface DaemonMetrics {
  readonly succeeded: number;
  readonly failed: number;
  readonly skipped: number;
  readonly cancelled: number;
  /** Run durations (start to end) over the last 1000 finished runs, in ms. */
  readonly latency: {
    readonly p50: number;
    readonly p95: number;
    readonly p99: number;
    readonly max: number;
  };
  /** Finished runs per second since the daemon started. */
  readonly throughput: number;
  /** Runs running now. */
  readonly active: number;
  /** Runs waiting for a slot or for their operation's previous run. */
  readonly queued: number;
}

export interface DaemonHealth {
  readonly status: 'healthy' | 'degraded' | 'stopped';
  readonly reason: string;
}
