import { isObservable } from 'rxjs';
import { z } from 'zod';
import {
  functionSchema,
  observableSchema,
  parseConfig,
  schedulerSchema,
} from '../../operators/internal/index.js';
import { retryPolicySchema } from '../instances/spec.js';
import { receiptLogSchema } from '../receipts/receipt-log.js';
import { triggerConfigSchema, validateTrigger } from '../triggers/trigger-config.js';
import type { DaemonConfig, Operation } from './types.js';

const daemonSchema = z.strictObject({
  id: z.string().min(1).optional(),
  maxConcurrent: z.union([z.number().int().min(1), z.literal(Infinity)]).optional(),
  completedCacheSize: z.number().int().min(0).optional(),
  scheduler: schedulerSchema.optional(),
  sources: z
    .strictObject({
      mutations: observableSchema.optional(),
      events: observableSchema.optional(),
      activity: observableSchema.optional(),
    })
    .optional(),
  health: z
    .strictObject({
      maxFailureRatio: z.number().min(0).max(1).optional(),
      minSample: z.number().int().min(1).optional(),
      maxQueued: z.number().int().min(0).optional(),
    })
    .optional(),
  random: functionSchema.optional(),
  receipts: receiptLogSchema.optional(),
  transport: z.looseObject({ sharedTrigger: functionSchema }).optional(),
});

const operationSchema = z.strictObject({
  id: z.string().min(1, 'must be a non-empty string'),
  name: z.string().optional(),
  // An Observable, or a config judged by the config schema itself, so that a bad one is told what
  // is wrong with it (a union of the two would only say "Invalid input").
  trigger: z
    .unknown()
    .superRefine((value, context) => {
      if (value === undefined || isObservable(value)) return;
      const config = triggerConfigSchema.safeParse(value);
      for (const issue of config.error?.issues ?? []) {
        context.addIssue({ code: 'custom', message: issue.message, path: issue.path });
      }
    })
    .optional(),
  run: functionSchema,
  overlap: z.enum(['skip', 'queue', 'allow']).optional(),
  timeoutMs: z.number().finite().positive().optional(),
  retry: retryPolicySchema.optional(),
});

const stopSchema = z.strictObject({ drainMs: z.number().finite().nonnegative().optional() });

export function validateDaemonConfig(config: DaemonConfig): void {
  parseConfig('daemon config', daemonSchema, config);
}

/** One schema for every operation; a trigger config's cron expression and zone are checked too. */
export function validateOperation(operation: Operation<never, unknown>): void {
  parseConfig(
    () => `operation${typeof operation?.id === 'string' ? ` "${operation.id}"` : ''}`,
    operationSchema,
    operation,
  );
  const { trigger } = operation;
  if (trigger !== undefined && !isObservable(trigger)) validateTrigger(trigger);
}

export function parseStopOptions(options: unknown): z.output<typeof stopSchema> {
  return parseConfig('stop options', stopSchema, options);
}
