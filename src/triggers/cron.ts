import { CronExpressionParser } from 'cron-parser';
import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { z } from 'zod';
import { ConfigError } from '../../operators/errors.js';
import { parseConfig, schedulerSchema } from '../../operators/internal/config.js';
import type { TriggerFire } from './trigger-fire.js';

export interface CronOptions {
  /** IANA time zone the expression is read in (default `'UTC'`). */
  readonly tz?: string;
  /** No firing after this instant; the stream completes instead. */
  readonly endDate?: Date | number;
  readonly scheduler?: SchedulerLike;
}

/** Timers longer than this overflow Node's 32-bit delay (and fire at once): wait in steps instead. */
const LONGEST_WAIT_MS = 2 ** 31 - 1;

const optionsSchema = z.object({
  tz: z.string().optional(),
  endDate: z.union([z.date(), z.number().finite()]).optional(),
  scheduler: schedulerSchema.optional(),
});

/** Throws a ConfigError naming a bad expression or zone; returns the zone. */
export function validateCron(expression: string, tz: string | undefined): string {
  const zone = tz ?? 'UTC';
  const problems: [string, string][] = [];
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
  } catch {
    problems.push(['tz', `tz: unknown time zone ${JSON.stringify(zone)}`]);
  }
  try {
    if (typeof expression !== 'string') throw new Error('must be a string');
    CronExpressionParser.parse(expression, { tz: 'UTC' });
  } catch (error) {
    problems.push(['expression', `expression ${JSON.stringify(expression)}: ${(error as Error).message}`]);
  }
  if (problems.length > 0) {
    throw new ConfigError(
      'cron trigger',
      problems.map(([field]) => field),
      problems.map(([, detail]) => detail),
    );
  }
  return zone;
}

/** The first instant matching `expression` strictly after `after`, or undefined past `endDate`. */
export function nextCronTime(
  expression: string,
  tz: string,
  after: number,
  endDate?: Date | number,
): number | undefined {
  const parsed = CronExpressionParser.parse(expression, {
    currentDate: new Date(after),
    tz,
    ...(endDate !== undefined ? { endDate: new Date(endDate) } : {}),
  });
  return parsed.hasNext() ? parsed.next().getTime() : undefined;
}

/**
 * Fires at each instant matching a cron expression (5 or 6 fields, seconds first when 6, or a macro
 * such as `@daily`) in time zone `tz`, computed by cron-parser from `scheduler.now()` and waited for
 * on the scheduler — so it runs in virtual time, across DST changes, like any other timer. Only
 * instants after subscription fire, never past ones; a local time that a DST change skips fires at
 * the same wall-clock offset after the jump (cron-parser's rule).
 *
 * ```text
 * cron('0 * * * *'), subscribed at 00:30
 * fires:   ----a-----------b----   a at 01:00, b at 02:00 (scheduledFor = the matching instant)
 * ```
 *
 * @throws ConfigError naming a bad expression or an unknown zone, before anything is subscribed
 */
export function cron(expression: string, options: CronOptions = {}): Observable<TriggerFire> {
  parseConfig('cron options', optionsSchema, options);
  const tz = validateCron(expression, options.tz);
  const { endDate } = options;
  const scheduler = options.scheduler ?? asyncScheduler;
  return new Observable<TriggerFire>((subscriber) => {
    let pending: Subscription | undefined;
    const waitFor = (due: number): void => {
      const delay = Math.max(0, due - scheduler.now());
      pending = scheduler.schedule(
        () => {
          if (scheduler.now() < due) return waitFor(due); // a long wait done in steps
          subscriber.next({ kind: 'cron', at: scheduler.now(), scheduledFor: due });
          armAfter(Math.max(due, scheduler.now()));
        },
        Math.min(delay, LONGEST_WAIT_MS),
      );
    };
    const armAfter = (after: number): void => {
      const due = nextCronTime(expression, tz, after, endDate);
      if (due === undefined) subscriber.complete();
      else waitFor(due);
    };
    armAfter(scheduler.now());
    return () => pending?.unsubscribe();
  });
}
