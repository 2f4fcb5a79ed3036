import { type Observable, type SchedulerLike } from 'rxjs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { parseConfig } from '../../operators/internal/index.js';
import { cron, nextCronTime, validateCron } from './cron.js';
import { every } from './every.js';
import { idle } from './idle.js';
import { type NamedEvent, onEvent } from './on-event.js';
import { type Mutation, onMutation } from './on-mutation.js';
import type { TriggerFire } from './trigger-fire.js';

/** A trigger as data: what `evaluateTrigger` judges and `triggerFrom` builds. */
export type TriggerConfig =
  | { readonly type: 'interval'; readonly ms: number }
  | { readonly type: 'cron'; readonly expression: string; readonly tz?: string }
  | { readonly type: 'idle'; readonly ms: number }
  | { readonly type: 'reactive'; readonly entity?: string; readonly kinds?: readonly string[] }
  | { readonly type: 'event'; readonly name: string };

export const triggerConfigSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('interval'), ms: z.number().finite().positive() }),
  z.strictObject({ type: z.literal('cron'), expression: z.string().min(1), tz: z.string().optional() }),
  z.strictObject({ type: z.literal('idle'), ms: z.number().finite().positive() }),
  z.strictObject({
    type: z.literal('reactive'),
    entity: z.string().optional(),
    kinds: z.array(z.string()).optional(),
  }),
  z.strictObject({ type: z.literal('event'), name: z.string().min(1) }),
]);

/** Validates a trigger config (a cron's expression and zone included). */
export function validateTrigger(config: TriggerConfig): void {
  parseConfig('trigger', triggerConfigSchema, config);
  if (config.type === 'cron') validateCron(config.expression, config.tz);
}

const instant = z.number().finite();
const stateSchema = z.strictObject({
  now: instant,
  lastExecutedAt: instant.optional(),
  lastActivityAt: instant.optional(),
});

export interface TriggerState {
  readonly now: number;
  readonly lastExecutedAt?: number;
  readonly lastActivityAt?: number;
}

export interface TriggerVerdict {
  readonly shouldExecute: boolean;
  /**
   * Absolute ms, always later than `now`: when it is next due (when due now, the time after that);
   * `Infinity` for event-driven kinds and an idle trigger until its next activity.
   */
  readonly nextExecutionTime: number;
}

/**
 * Whether a trigger is due, for callers that poll. Pure. An interval never executed is due, and
 * is due again at `lastExecutedAt + ms` (equality fires); a cron never executed is due at its next
 * match, and after an execution when a matching time has passed since it; an idle trigger is due
 * `ms` after the last activity, once; reactive and event triggers are never due by time.
 *
 * @throws ConfigError for an invalid config or state (a `now` that is no finite number, …)
 */
export function evaluateTrigger(config: TriggerConfig, state: TriggerState): TriggerVerdict {
  validateTrigger(config);
  parseConfig('trigger state', stateSchema, state);
  const { now, lastExecutedAt, lastActivityAt } = state;
  switch (config.type) {
    case 'interval': {
      const due = lastExecutedAt === undefined ? now : lastExecutedAt + config.ms;
      // Due now: the next one is an interval after this execution.
      return due <= now
        ? { shouldExecute: true, nextExecutionTime: now + config.ms }
        : { shouldExecute: false, nextExecutionTime: due };
    }
    case 'cron': {
      const tz = config.tz ?? 'UTC';
      const due = nextCronTime(config.expression, tz, lastExecutedAt ?? now) ?? Infinity;
      if (lastExecutedAt === undefined || due > now) return { shouldExecute: false, nextExecutionTime: due };
      return { shouldExecute: true, nextExecutionTime: nextCronTime(config.expression, tz, now) ?? Infinity };
    }
    case 'idle': {
      if (lastActivityAt === undefined) return { shouldExecute: false, nextExecutionTime: Infinity };
      const due = lastActivityAt + config.ms;
      if (lastExecutedAt !== undefined && lastExecutedAt >= due)
        return { shouldExecute: false, nextExecutionTime: Infinity };
      // Due now: it fires once, then waits for the next activity.
      return due <= now
        ? { shouldExecute: true, nextExecutionTime: Infinity }
        : { shouldExecute: false, nextExecutionTime: due };
    }
    case 'reactive':
    case 'event':
      return { shouldExecute: false, nextExecutionTime: Infinity };
  }
}

/** The streams event-driven triggers listen to. */
export interface TriggerSources {
  readonly mutations?: Observable<Mutation>;
  readonly events?: Observable<NamedEvent>;
  /** What counts as activity for idle triggers. */
  readonly activity?: Observable<unknown>;
  readonly scheduler?: SchedulerLike;
}

/**
 * Builds the trigger observable a config describes.
 *
 * @throws ConfigError for an invalid config, or one that needs a source `sources` lacks
 */
export function triggerFrom(config: TriggerConfig, sources: TriggerSources = {}): Observable<TriggerFire> {
  validateTrigger(config);
  const { scheduler } = sources;
  const options = scheduler ? { scheduler } : {};
  const need = <T>(source: T | undefined, name: string): T => {
    if (source === undefined) {
      throw new ConfigError(
        'trigger sources',
        [name],
        [`${name}: ${config.type === 'event' ? 'an' : 'a'} ${config.type} trigger needs it`],
      );
    }
    return source;
  };
  switch (config.type) {
    case 'interval':
      return every(config.ms, options);
    case 'cron':
      return cron(config.expression, { ...options, ...(config.tz ? { tz: config.tz } : {}) });
    case 'idle':
      return idle(need(sources.activity, 'activity'), config.ms, options);
    case 'reactive':
      return onMutation(need(sources.mutations, 'mutations'), {
        ...options,
        ...(config.entity !== undefined ? { entity: config.entity } : {}),
        ...(config.kinds !== undefined ? { kinds: config.kinds } : {}),
      });
    case 'event':
      return onEvent(need(sources.events, 'events'), config.name, undefined, options);
  }
}
