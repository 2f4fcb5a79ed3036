export { instancePlan, poolScenario, ruleOf, rulePlan } from './arbitraries.js';
export type { InstancePlan, PoolScenario, RulePlan, ScenarioConstraints } from './arbitraries.js';
export { testScheduler } from './test-scheduler.js';
export { VirtualClock, virtualClock } from './virtual-clock.js';
