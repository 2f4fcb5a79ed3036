import { createRequire } from 'node:module';
import type * as FastCheck from 'fast-check';
import type { Arbitrary } from 'fast-check';
import { allSettled, allSucceed, type Rule, threshold, toleratedFailures } from '../../operators/index.js';
import { ConfigError } from '../errors.js';

let fastCheck: typeof FastCheck | undefined;

/**
 * fast-check, loaded when an arbitrary is first asked for: it is an optional peer dependency, and
 * the rest of `rxdaemon/testing` (testScheduler, virtualClock) must load without it.
 * @throws ConfigError saying to install it, when it is not installed
 */
function fc(): typeof FastCheck {
  if (fastCheck) return fastCheck;
  try {
    fastCheck = createRequire(import.meta.url)('fast-check') as typeof FastCheck;
    return fastCheck;
  } catch (error) {
    throw new ConfigError(
      'rxdaemon/testing arbitraries',
      ['fast-check'],
      [`fast-check is not installed (an optional peer dependency): npm i -D fast-check (${String(error)})`],
    );
  }
}

/** One instance of a generated scenario: when its input arrives, how long it runs, how it ends. */
export interface InstancePlan {
  /** Virtual ms after subscription at which the input arrives. */
  readonly arriveAtMs: number;
  /** Virtual ms the task runs once started (≥ 1). */
  readonly durationMs: number;
  readonly outcome: 'succeed' | 'fail';
}

/** The completion rules a scenario may use, as data, so a failing case prints readably. */
export type RulePlan =
  | { readonly kind: 'allSettled' }
  | { readonly kind: 'allSucceed' }
  | { readonly kind: 'threshold'; readonly n: number }
  | { readonly kind: 'toleratedFailures'; readonly count: number };

/** A whole pool scenario: instances, concurrency and a completion rule. */
export interface PoolScenario {
  readonly instances: readonly InstancePlan[];
  readonly concurrency: number;
  readonly rule: RulePlan;
}

export interface ScenarioConstraints {
  readonly maxInstances?: number;
  readonly maxConcurrency?: number;
  readonly maxDurationMs?: number;
  /** Probability-like weight of failures among outcomes, 0–10 (default 3 of 10). */
  readonly failureWeight?: number;
}

/** An {@link InstancePlan}; arrivals are sorted by the scenario. */
export function instancePlan(constraints: ScenarioConstraints = {}): Arbitrary<InstancePlan> {
  const { maxDurationMs = 20, failureWeight = 3 } = constraints;
  return fc().record({
    arriveAtMs: fc().integer({ min: 0, max: 10 }),
    durationMs: fc().integer({ min: 1, max: maxDurationMs }),
    outcome: fc().oneof(
      { arbitrary: fc().constant<'succeed'>('succeed'), weight: 10 - failureWeight },
      { arbitrary: fc().constant<'fail'>('fail'), weight: failureWeight },
    ),
  });
}

/** A {@link RulePlan}. */
export function rulePlan(maxThreshold = 10): Arbitrary<RulePlan> {
  return fc().oneof(
    fc().constant<RulePlan>({ kind: 'allSettled' }),
    fc().constant<RulePlan>({ kind: 'allSucceed' }),
    fc()
      .integer({ min: 1, max: maxThreshold })
      .map((n): RulePlan => ({ kind: 'threshold', n })),
    fc()
      .integer({ min: 0, max: 3 })
      .map((count): RulePlan => ({ kind: 'toleratedFailures', count })),
  );
}

/** A {@link PoolScenario} with inputs in arrival order. */
export function poolScenario(constraints: ScenarioConstraints = {}): Arbitrary<PoolScenario> {
  const { maxInstances = 30, maxConcurrency = 8 } = constraints;
  return fc().record({
    instances: fc()
      .array(instancePlan(constraints), { maxLength: maxInstances })
      .map((plans) => [...plans].sort((a, b) => a.arriveAtMs - b.arriveAtMs)),
    concurrency: fc().integer({ min: 1, max: maxConcurrency }),
    rule: rulePlan(),
  });
}

/** The rule a {@link RulePlan} describes. */
export function ruleOf(plan: RulePlan): Rule {
  switch (plan.kind) {
    case 'allSettled':
      return allSettled();
    case 'allSucceed':
      return allSucceed();
    case 'threshold':
      return threshold(plan.n);
    case 'toleratedFailures':
      return toleratedFailures({ count: plan.count });
  }
}
