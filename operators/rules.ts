import { z } from 'zod';
import { allSettledNow, type Counters } from './counters.js';
import { functionSchema, parseConfig } from './internal/config.js';

/** Why a completion rule decided. */
export type RuleReason =
  'all-settled' | 'threshold' | 'rule' | 'first-failure' | 'unreachable' | 'tolerance-exceeded';

export interface Decision {
  readonly status: 'completed' | 'failed';
  readonly reason: RuleReason;
}

/** A rule's answer: keep going, or a decision. */
export type Verdict = 'continue' | Decision;

/**
 * A completion rule: a pure function of the counters, evaluated after every terminal event and
 * when input closes. A rule that has not decided once everything settled is taken as `all-settled`.
 */
export type Rule = (counters: Counters) => Verdict;

const decide = (status: Decision['status'], reason: RuleReason): Decision =>
  Object.freeze({ status, reason });
const COMPLETED_ALL_SETTLED = decide('completed', 'all-settled');
const COMPLETED_THRESHOLD = decide('completed', 'threshold');
const COMPLETED_RULE = decide('completed', 'rule');
const FAILED_FIRST_FAILURE = decide('failed', 'first-failure');
const FAILED_UNREACHABLE = decide('failed', 'unreachable');
const FAILED_TOLERANCE = decide('failed', 'tolerance-exceeded');

// Built once: zod compiles a schema on its first parse (~0.5 ms), so a schema made per call would
// make every `threshold(n)` pay that.
const thresholdSchema = z.strictObject({ n: z.number().int().min(1) });
const successRateSchema = z.strictObject({
  ratio: z.number().gt(0).max(1),
  minSample: z.number().int().min(1).optional(),
});
const toleranceSchema = z
  .strictObject({
    count: z.number().int().min(0).optional(),
    percentage: z.number().min(0).max(100).optional(),
    minSample: z.number().int().min(1).optional(),
  })
  .refine((o) => o.count !== undefined || o.percentage !== undefined, {
    message: 'give count, percentage or both',
    path: ['count'],
  });
const whenSchema = z.strictObject({ predicate: functionSchema });
const anyOfSchema = z.strictObject({ rules: z.array(functionSchema).min(1) });

/** Waits for every instance, whatever its outcome (WCP-13/14/15): `completed`, `all-settled`. */
export function allSettled(): Rule {
  return (c) => (allSettledNow(c) ? COMPLETED_ALL_SETTLED : 'continue');
}

/** Fails at the first failure (`first-failure`); completes when all settled without one. */
export function allSucceed(): Rule {
  return (c) => (c.failed > 0 ? FAILED_FIRST_FAILURE : allSettledNow(c) ? COMPLETED_ALL_SETTLED : 'continue');
}

/**
 * Completes once `n` instances succeeded (`threshold`); fails with `unreachable` as soon as input is
 * closed and `succeeded + running + pending < n` — so an empty input fails it.
 */
export function threshold(n: number): Rule {
  parseConfig('threshold', thresholdSchema, { n });
  return (c) =>
    c.succeeded >= n
      ? COMPLETED_THRESHOLD
      : c.inputClosed && c.succeeded + c.running + c.pending < n
        ? FAILED_UNREACHABLE
        : 'continue';
}

/**
 * Completes once input is closed and at least `ratio` of the admitted instances succeeded
 * (`threshold`), judged on at least `minSample` settled instances (or all of them if fewer were
 * admitted); fails with `unreachable` once that share can no longer be reached. Empty input fails.
 */
export function successRate(ratio: number, options: { readonly minSample?: number } = {}): Rule {
  const { minSample = 1 } = parseConfig('successRate', successRateSchema, { ratio, ...options });
  return (c) => {
    if (!c.inputClosed) return 'continue';
    const required = Math.max(1, Math.ceil(ratio * c.admitted));
    if (c.succeeded + c.running + c.pending < required) return FAILED_UNREACHABLE;
    const settled = c.succeeded + c.failed + c.cancelled;
    return c.succeeded >= required && settled >= Math.min(minSample, c.admitted)
      ? COMPLETED_THRESHOLD
      : 'continue';
  };
}

export interface ToleranceOptions {
  /** At most this many failures are tolerated; one more decides at once. */
  readonly count?: number;
  /** At most this share (0–100) of admitted instances may fail. */
  readonly percentage?: number;
  /** While input is open, judge the percentage only once this many were admitted (default 1). */
  readonly minSample?: number;
}

/**
 * Fails with `tolerance-exceeded` once failures pass `count`, or pass `percentage` of admitted
 * (while input is open only once `minSample` were admitted); completes `all-settled` otherwise.
 */
export function toleratedFailures(options: ToleranceOptions): Rule {
  const { count, percentage, minSample = 1 } = parseConfig('toleratedFailures', toleranceSchema, options);
  return (c) => {
    if (count !== undefined && c.failed > count) return FAILED_TOLERANCE;
    if (
      percentage !== undefined &&
      c.admitted > 0 &&
      (c.inputClosed || c.admitted >= minSample) &&
      c.failed * 100 > percentage * c.admitted
    ) {
      return FAILED_TOLERANCE;
    }
    return allSettledNow(c) ? COMPLETED_ALL_SETTLED : 'continue';
  };
}

/** Completes with `rule` once `predicate` holds (WCP-36), or `all-settled` if all settled without it. */
export function when(predicate: (counters: Counters) => boolean): Rule {
  parseConfig('when', whenSchema, { predicate });
  return (c) => (predicate(c) ? COMPLETED_RULE : allSettledNow(c) ? COMPLETED_ALL_SETTLED : 'continue');
}

/** The first of `rules`, in argument order, that decides. */
export function anyOf(...rules: readonly Rule[]): Rule {
  parseConfig('anyOf', anyOfSchema, { rules });
  return (c) => {
    for (const rule of rules) {
      const verdict = rule(c);
      if (verdict !== 'continue') return verdict;
    }
    return 'continue';
  };
}
