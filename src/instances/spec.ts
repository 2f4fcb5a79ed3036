import { Observable, type SchedulerLike } from 'rxjs';
import { z } from 'zod';
import type { BackoffPolicy, Rule } from '../../operators/index.js';
import {
  backoffPolicySchema,
  functionSchema,
  observableSchema,
  parseConfig,
  schedulerSchema,
  type TaskOutput,
} from '../../operators/internal/index.js';
import { type ReceiptLog, receiptLogSchema } from '../receipts/receipt-log.js';
import { assertSafeIdentifier } from '../security/injection.js';

/**
 * What an instance's `run` receives on each attempt: an object of its own fields, so spreading it
 * (`{ ...context, extra }`) keeps every one, `signal` included.
 */
export interface InstanceContext {
  readonly taskId: string;
  /** The spec's `caseId`, or its `taskId` when it has none. */
  readonly caseId: string;
  /** 0-based admission order. */
  readonly index: number;
  /** `taskId#index`. */
  readonly instanceId: string;
  /** 1 for the first attempt, 2 for the first retry, … */
  readonly attempt: number;
  /** Aborted with a `CancelledError` when this attempt is torn down before it settled. */
  readonly signal: AbortSignal;
}

/** Per-instance retries: `maxAttempts` in all, backoff as `retryBackoff`'s. */
export interface RetryPolicy extends BackoffPolicy {
  readonly maxAttempts: number;
  readonly retryIf?: (error: unknown, attempt: number) => boolean;
}

/** A multiple-instance task. */
export interface MISpec<I, R> {
  readonly taskId: string;
  readonly caseId?: string;
  /**
   * Called anew for every attempt of every instance. Returns the instance's result as a plain value,
   * a Promise of it, or an Observable (its last value); strings and arrays are plain values.
   */
  readonly run: (input: I, context: InstanceContext) => TaskOutput<R>;
  /** Instances running at once: a positive integer, `Infinity`, or a stream of them. */
  readonly concurrency: number | Observable<number>;
  /** When the task is done (default `allSettled()`). */
  readonly completion?: Rule;
  /** At the decision, cancel the instances still running (default) or let them finish detached. */
  readonly remaining?: 'cancel' | 'detach';
  readonly minInstances?: number;
  readonly maxInstances?: number;
  readonly retry?: RetryPolicy;
  /** Limit on each attempt; a timed-out attempt is retried while retries remain. */
  readonly instanceTimeoutMs?: number;
  /** Waiting inputs an Observable source may pile up before the task fails (default 100000). */
  readonly maxBuffered?: number;
  /**
   * `dynamic` (default): an Observable source may add instances while the task runs (WCP-15).
   * `static`: the instances are those the source emits synchronously on subscription; the input then
   * closes (YAWL's static creation mode). Lazy and counted sources are unaffected.
   */
  readonly creationMode?: 'static' | 'dynamic';
  /** Keep a record per instance (default `'all'`) or counters only. */
  readonly keep?: 'all' | 'summary';
  /**
   * `false`: this task is neither traced (OpenTelemetry spans) nor published on `MI_CHANNEL` (so a
   * control plane does not see it) — for an internal task too hot or too noisy to watch. Default on.
   */
  readonly telemetry?: boolean;
  /** Cancels one instance by index (WCP-19). */
  readonly cancel?: Observable<number>;
  /** Force-completes the task (WCP-27). */
  readonly complete?: Observable<unknown>;
  /** Cancels the whole task (WCP-26). */
  readonly abort?: Observable<unknown>;
  readonly scheduler?: SchedulerLike;
  /** Uniform [0, 1) numbers for retry jitter (default `Math.random`). */
  readonly random?: () => number;
  /** A receipt log: one receipt is appended per decision. */
  readonly receipts?: ReceiptLog;
}

/** Retries of an MI instance or a daemon operation: `maxAttempts` in all, backoff, `retryIf`. */
export const retryPolicySchema = backoffPolicySchema.extend({
  maxAttempts: z.number().int().min(1),
  retryIf: functionSchema.optional(),
});

const count = z.number().int().min(0);
const observable = observableSchema;

const specSchema = z
  .strictObject({
    taskId: z.string().min(1, 'must be a non-empty string'),
    caseId: z.string().min(1, 'must be a non-empty string').optional(),
    run: functionSchema,
    concurrency: z.union([z.number().int().positive(), z.literal(Infinity), observable], {
      error: 'must be a positive integer, Infinity or an Observable of them',
    }),
    completion: functionSchema.optional(),
    remaining: z.enum(['cancel', 'detach']).optional(),
    minInstances: count.optional(),
    maxInstances: z.number().int().min(1).optional(),
    retry: retryPolicySchema.optional(),
    instanceTimeoutMs: z.number().finite().positive().optional(),
    maxBuffered: z.number().int().min(1).optional(),
    creationMode: z.enum(['static', 'dynamic']).optional(),
    keep: z.enum(['all', 'summary']).optional(),
    telemetry: z.boolean().optional(),
    cancel: observable.optional(),
    complete: observable.optional(),
    abort: observable.optional(),
    scheduler: schedulerSchema.optional(),
    random: functionSchema.optional(),
    receipts: receiptLogSchema.optional(),
  })
  .refine(
    (s) => s.minInstances === undefined || s.maxInstances === undefined || s.minInstances <= s.maxInstances,
    {
      message: 'must not exceed maxInstances',
      path: ['minInstances'],
    },
  );

/**
 * Validates a spec once, at the boundary, nothing started: a `ConfigError` naming every bad field,
 * then an `InjectionError` for a `taskId` or `caseId` that is not a safe identifier (they name jobs,
 * receipts and spans, and reach engines, so they are checked for injection as every engine id is).
 */
export function validateSpec<I, R>(spec: MISpec<I, R>): void {
  parseConfig(
    `multiple-instance spec${typeof spec?.taskId === 'string' ? ` "${spec.taskId}"` : ''}`,
    specSchema,
    spec,
  );
  assertSafeIdentifier(spec.taskId);
  if (spec.caseId !== undefined) assertSafeIdentifier(spec.caseId);
}
