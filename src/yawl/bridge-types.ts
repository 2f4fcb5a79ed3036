import type { SchedulerLike } from 'rxjs';
import type { TaskOutput } from '../../operators/index.js';
import type { InstanceContext, RetryPolicy } from '../instances/spec.js';
import type { Daemon } from '../operations/daemon.js';
import type { JsonValue } from '../receipts/canonical-json.js';
import type { YawlEngine } from './engine.js';

/** What a task handler receives. */
export interface TaskHandlerContext {
  readonly caseId: string;
  readonly taskId: string;
  /** 1 on the first run, then 2, 3, … for each automatic retry after `task:failed`. */
  readonly attempt: number;
  /** The worker slot, when the task was distributed by `distributeAndSplitTasks`. */
  readonly worker: string | undefined;
  /** Aborted when the run is cancelled: the task withdrawn, cancelled, timed out, or the daemon stopped. */
  readonly signal: AbortSignal;
  /** The task's input: its starting mappings evaluated over the case data (empty without them). */
  readonly input: Readonly<Record<string, string>>;
}

/** Runs one task; its last value becomes the task's completion data. */
export type TaskHandler = (context: TaskHandlerContext) => TaskOutput<JsonValue>;

/** Runs one instance of a multiple-instance task. */
export type InstanceHandler<I, R> = (input: I, context: InstanceContext) => TaskOutput<R>;

export interface YawlBridgeOptions {
  readonly daemon: Daemon;
  readonly engine: YawlEngine;
  /** Handlers by task id: an enabled task with a handler is started and run on the daemon's pool. */
  readonly handlers?: Readonly<Record<string, TaskHandler>>;
  /**
   * Instance handlers of MI tasks, by task id: an enabled MI task with one runs by itself — one
   * instance per element of its splitting query over the case data (the element as JSON), the
   * task's threshold and creation mode, the completed values aggregated back into the case data.
   */
  readonly miHandlers?: Readonly<Record<string, InstanceHandler<JsonValue, JsonValue>>>;
  /** How many instances of one MI task from `miHandlers` run at once (default 10). */
  readonly miConcurrency?: number;
  /** Tasks with a handler that are not started when enabled: the caller runs them (`distributeAndSplitTasks`). */
  readonly manual?: readonly string[];
  /** Automatic retries on `task:failed` (attempts in all, backoff); none without it. */
  readonly retry?: RetryPolicy;
  readonly scheduler?: SchedulerLike;
  /** Uniform [0, 1) numbers for retry jitter (default `Math.random`). */
  readonly random?: () => number;
}

export interface BridgeEventBase {
  readonly caseId: string;
  readonly taskId: string;
  readonly at: number;
}

export type BridgeEvent =
  | (BridgeEventBase & { readonly type: 'task:assigned'; readonly worker: string })
  | (BridgeEventBase & {
      readonly type: 'task:retry-scheduled';
      readonly attempt: number;
      readonly delayMs: number;
    })
  | (BridgeEventBase & {
      readonly type: 'task:retry-exhausted';
      readonly attempts: number;
      readonly error: unknown;
    })
  | (BridgeEventBase & { readonly type: 'task:timed-out'; readonly timeoutMs: number })
  | (BridgeEventBase & { readonly type: 'choice:made'; readonly withdrawn: readonly string[] })
  | (BridgeEventBase & {
      readonly type: 'mi:decided';
      readonly status: 'completed' | 'failed' | 'cancelled';
      readonly reason: string;
    });
