import { Observable } from 'rxjs';
import { z } from 'zod';
import { backoffPolicySchema } from '../../operators/index.js';
import { functionSchema, parseConfig, schedulerSchema } from '../../operators/internal/config.js';
import { receiptLogSchema } from '../receipts/receipt-log.js';
import { triggerConfigSchema, validateTrigger } from '../triggers/trigger-config.js';
import type { DaemonConfig, Operation } from './types.js';

const observable = z.instanceof(Observable, { error: 'must be an Observable' });

const daemonSchema = z.object({
  id: z.string().min(1).optional(),
  maxConcurrent: z.union([z.number().int().min(1), z.literal(Infinity)]).optional(),
  completedCacheSize: z.number().int().min(0).optional(),
  scheduler: schedulerSchema.optional(),
  sources: z
    .object({
      mutations: observable.optional(),
      events: observable.optional(),
      activity: observable.optional(),
    })
    .optional(),
  health: z
    .object({
      maxFailureRatio: z.number().min(0).max(1).optional(),
      maxQueued: z.number().int().min(0).optional(),
    })
    .optional(),
  random: functionSchema.optional(),
  receipts: receiptLogSchema.optional(),
});

const operationSchema = z.object({
  id: z.string().min(1, 'must be a non-empty string'),
  name: z.string().optional(),
  trigger: z.union([triggerConfigSchema, observable]).optional(),
  run: functionSchema,
  overlap: z.enum(['skip', 'queue', 'allow']).optional(),
  timeoutMs: z.number().finite().positive().optional(),
  retry: backoffPolicySchema
    .extend({ maxAttempts: z.number().int().min(1), retryIf: functionSchema.optional() })
    .optional(),
});

export function validateDaemonConfig(config: DaemonConfig): void {
  parseConfig('daemon config', daemonSchema, config);
}

const OVERLAPS = new Set([undefined, 'skip', 'queue', 'allow']);

/**
 * The shape most operations have — an id, a run function, maybe a name, overlap and timeout — checked
 * by hand: zod takes ~2 µs an object, which would make `schedule` the cost of a short-lived operation.
 * Anything else (retry, a trigger config, a bad value) goes through the schema.
 */
function isSimpleValidOperation(operation: Operation<never, unknown>): boolean {
  if (typeof operation !== 'object' || operation === null) return false;
  const { id, name, trigger, run, overlap, timeoutMs, retry } = operation;
  return (
    typeof id === 'string' &&
    id.length > 0 &&
    typeof run === 'function' &&
    (name === undefined || typeof name === 'string') &&
    (trigger === undefined || trigger instanceof Observable) &&
    OVERLAPS.has(overlap) &&
    (timeoutMs === undefined ||
      (typeof timeoutMs === 'number' && Number.isFinite(timeoutMs) && timeoutMs > 0)) &&
    retry === undefined
  );
}

export function validateOperation(operation: Operation<never, unknown>): void {
  if (isSimpleValidOperation(operation)) return;
  parseConfig(
    `operation${typeof operation?.id === 'string' ? ` "${operation.id}"` : ''}`,
    operationSchema,
    operation,
  );
  const { trigger } = operation;
  if (trigger !== undefined && !(trigger instanceof Observable)) validateTrigger(trigger);
}
