import { isObservable, type Observable } from 'rxjs';
import { z } from 'zod';
import { ConfigError } from '../errors.js';

/**
 * Parses `input` with `schema` once, at the boundary. On failure throws a {@link ConfigError}
 * whose message names every offending field, so nothing is subscribed with a bad config.
 */
export function parseConfig<S extends z.ZodType>(
  subject: string | (() => string),
  schema: S,
  input: unknown,
): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  if (typeof subject === 'function') subject = subject(); // named only when it is needed
  const fields = parsed.error.issues.map((issue) => (issue.path.length ? issue.path.join('.') : '(root)'));
  const details = parsed.error.issues.map((issue, i) => `${fields[i]}: ${issue.message}`);
  throw new ConfigError(subject, [...new Set(fields)], details);
}

/** A scheduler-like object: anything with `now()` and `schedule()`, checked structurally. */
export const schedulerSchema = z.custom<import('rxjs').SchedulerLike>(
  (value) =>
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { now?: unknown }).now === 'function' &&
    typeof (value as { schedule?: unknown }).schedule === 'function',
  { message: 'must be a SchedulerLike (with now() and schedule())' },
);

/**
 * An Observable by rxjs's own test (`isObservable`: it has `lift` and `subscribe`), not by
 * `instanceof`: an application's own copy of rxjs makes Observables this package's class never
 * made. The same test decides, where the code branches, whether a value is an Observable.
 */
export const observableSchema = z.custom<Observable<unknown>>((value) => isObservable(value), {
  message: 'must be an Observable',
});

/** Milliseconds: a finite number ≥ 0. */
export const millisecondsSchema = z.number().finite().nonnegative();

/** Any function (a callback option). */
export const functionSchema = z.custom<(...args: never[]) => unknown>(
  (value) => typeof value === 'function',
  {
    message: 'must be a function',
  },
);

/**
 * An object made by one of the library's factories, recognised by a method it has (`what` names
 * the factory in the error: "must be <what>").
 */
export const withMethod = (method: string, what: string) =>
  z.custom(
    (value) =>
      typeof value === 'object' &&
      value !== null &&
      typeof (value as Record<string, unknown>)[method] === 'function',
    { message: `must be ${what}` },
  );

/** Throws a {@link ConfigError} unless `value` is a function. */
export function assertFunction(subject: string, field: string, value: unknown): void {
  if (typeof value !== 'function') throw new ConfigError(subject, [field], [`${field}: must be a function`]);
}

/** A concurrency limit: a positive integer or `Infinity`. */
export const limitSchema = z.union([z.number().int().positive(), z.literal(Infinity)], {
  error: 'must be a positive integer or Infinity',
});

/**
 * Checks a concurrency limit that arrives while running (from an `Observable<number>`): returns it,
 * or throws a {@link ConfigError} naming the value — for the stream's error channel, never a stall.
 */
export function parseLimit(subject: string, limit: unknown): number {
  const parsed = limitSchema.safeParse(limit);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    subject,
    ['concurrency'],
    [`concurrency: got ${String(limit)}, ${parsed.error.issues[0]?.message ?? 'invalid'}`],
  );
}

/** Checks an instance index from a `cancel` stream: an integer ≥ 0, or a {@link ConfigError}. */
export function parseIndex(subject: string, index: unknown): number {
  if (typeof index === 'number' && Number.isSafeInteger(index) && index >= 0) return index;
  throw new ConfigError(subject, ['cancel'], [`cancel: an index is an integer ≥ 0, got ${String(index)}`]);
}
