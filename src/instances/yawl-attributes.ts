import { z } from 'zod';
import { allSettled, type Decision, type Rule } from '../../operators/index.js';
import { allSettledNow } from '../../operators/counters.js';
import { parseConfig } from '../../operators/internal/index.js';

/** A YAWL multiple-instance task's attributes. */
export interface YawlMIAttributes {
  /** Fewest instances the task may have (≥ 1 in YAWL; 0 allowed here). */
  readonly minimum: number;
  /** Most instances the task may have (`Infinity` for unbounded). */
  readonly maximum: number;
  /** Completed instances after which the task completes and the rest are cancelled; default: all. */
  readonly threshold?: number;
  /** `static`: all instances are created when the task starts; `dynamic`: more may be added while it runs. */
  readonly creationMode?: 'static' | 'dynamic';
}

/** The spec fields a YAWL MI task's attributes stand for. */
export interface YawlMISpecFields {
  readonly minInstances: number;
  readonly maxInstances?: number;
  readonly completion: Rule;
  readonly remaining: 'cancel';
  readonly creationMode: 'static' | 'dynamic';
}

const schema = z
  .strictObject({
    minimum: z.number().int().min(0),
    maximum: z.union([z.number().int().min(1), z.literal(Infinity)]),
    threshold: z.union([z.number().int().min(1), z.literal(Infinity)]).optional(),
    creationMode: z.enum(['static', 'dynamic']).optional(),
  })
  .refine((a) => a.minimum <= a.maximum, { message: 'must not exceed maximum', path: ['minimum'] });

const THRESHOLD: Decision = Object.freeze({ status: 'completed', reason: 'threshold' });
const ALL_SETTLED: Decision = Object.freeze({ status: 'completed', reason: 'all-settled' });

/**
 * YAWL's exit rule for an MI task (`t_isExitEnabled`): it completes once `n` instances completed, or
 * once every instance has completed — so a threshold above the maximum, or above the instances the
 * task got, means "when all complete", never "unreachable".
 */
export function yawlThreshold(n: number): Rule {
  return (c) => (c.succeeded >= n ? THRESHOLD : allSettledNow(c) ? ALL_SETTLED : 'continue');
}

/**
 * Maps YAWL MI attributes to spec fields: `minimum`/`maximum` → `minInstances`/`maxInstances`,
 * `threshold` → {@link yawlThreshold} with the remaining instances cancelled (WCP-34/35), no
 * threshold → `allSettled()`. Spread the result into a spec: `{ ...fromYawlAttributes(attrs), taskId, run, concurrency }`.
 *
 * @throws ConfigError naming every inconsistent attribute (minimum > maximum, a non-integer, …)
 */
export function fromYawlAttributes(attributes: YawlMIAttributes): YawlMISpecFields {
  parseConfig('YAWL MI attributes', schema, attributes);
  const { minimum, maximum, threshold: n, creationMode = 'static' } = attributes;
  return {
    minInstances: minimum,
    ...(maximum === Infinity ? {} : { maxInstances: maximum }),
    completion: n === undefined || n === Infinity ? allSettled() : yawlThreshold(n),
    remaining: 'cancel',
    creationMode,
  };
}
