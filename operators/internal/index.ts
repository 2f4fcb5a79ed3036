/**
 * The kernel: the machinery the public operators and the engines in `src/` share. This barrel is
 * the one door `src/` uses into `operators/` besides the public one (operators import the files
 * directly). Not part of the public API (not in `exports`): it changes with the engines.
 *
 * - {@link Pool} / {@link TaskRun}: the worker pool's O(1) queue, running list and drain loop, which
 *   `workerPool`, the MI engine and the daemon drive through a {@link PoolSink}.
 * - {@link attemptsOf}: a run's work, called once directly or as attempts (timeout per attempt,
 *   retry with backoff) when the policy asks; {@link withSignal}: the context's own live `signal`.
 * - {@link TaskOutput}: what a task may return (a plain value, a Promise, an Observable), read the
 *   same way everywhere.
 * - {@link longDelays}: the one way to wait, safe for delays past Node's 2^31−1 ms timer limit.
 * - {@link guard}: a user callback whose throw goes to an error channel, never out of the call;
 *   {@link valueKind}: what a bad value is, for the error that names it;
 *   {@link Broadcast}: an engine's hot event stream whose throwing listeners cannot hurt it.
 * - {@link parseConfig} and the shared schemas: validate once, at the boundary.
 */
export { attemptsOf } from './attempts.js';
export { Broadcast } from './broadcast.js';
export { Bucket } from './bucket.js';
export { copyCounters, countEvent, emptyCounters } from '../counters.js';
export { backoffPolicySchema } from '../retry-backoff.js';
export {
  functionSchema,
  millisecondsSchema,
  observableSchema,
  parseConfig,
  parseIndex,
  parseLimit,
  schedulerSchema,
  withMethod,
} from './config.js';
export { guard } from './guard.js';
export { valueKind } from './value-kind.js';
export { withSignal } from './live-signal.js';
export { longDelays } from './long-delays.js';
export { Pool } from './pool.js';
export type { PoolSink, PullIntake } from './pool.js';
export { Queue } from './queue.js';
export { nearestRank } from './sliding-window.js';
export { outputAsObservable } from './task-output.js';
export type { TaskOutput } from './task-output.js';
export type { TaskRun } from './task-run.js';
