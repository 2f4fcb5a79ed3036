import { CronExpressionParser } from 'cron-parser';
import { Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { parseConfig, schedulerSchema } from '../../operators/internal/index.js';
import { longDelays } from '../../operators/internal/index.js';
import type { TriggerFire } from './trigger-fire.js';

export interface CronOptions {
  /** IANA time zone the expression is read in (default `'UTC'`). */
  readonly tz?: string;
  /** No firing after this instant; the stream completes instead. */
  readonly endDate?: Date | number;
  readonly scheduler?: SchedulerLike;
}

const optionsSchema = z.strictObject({
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
    problems.push([
      'tz',
      `tz: unknown time zone ${typeof zone === 'string' ? JSON.stringify(zone) : typeof zone}`,
    ]);
  }
  try {
    if (typeof expression !== 'string') throw new Error('must be a string');
    CronExpressionParser.parse(expression, { tz: 'UTC' });
  } catch (error) {
    const shown =
      typeof expression === 'string' ? JSON.stringify(expression) : `of type ${typeof expression}`;
    problems.push(['expression', `expression ${shown}: ${(error as Error).message}`]);
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
  const scheduler = longDelays(options.scheduler);
  return new Observable<TriggerFire>((subscriber) => {
    let pending: Subscription | undefined;
    const armAfter = (after: number): void => {
      // A subscriber that unsubscribed while handling the last fire (take(n)) gets no new timer.
      if (subscriber.closed) return;
      const due = nextCronTime(expression, tz, after, endDate);
      if (due === undefined) return subscriber.complete();
      pending = scheduler.schedule(
        () => {
          subscriber.next({ kind: 'cron', at: scheduler.now(), scheduledFor: due });
          armAfter(Math.max(due, scheduler.now()));
        },
        Math.max(0, due - scheduler.now()),
      );
    };
    armAfter(scheduler.now());
    return () => pending?.unsubscribe();
  });
}
