/**
 * The kernel: the machinery the public operators and the engines in `src/` share, and the one
 * door `src/` uses into `operators/` besides the public barrel. Not part of the public API (not in
 * `exports`): names and shapes here change with the engines.
 *
 * - {@link Pool} / {@link TaskRun}: the worker pool's O(1) queue, running list and drain loop, which
 *   `workerPool`, the MI engine and the daemon drive through a {@link PoolSink}.
 * - {@link withAttempts}: one unit of work made of attempts (timeout per attempt, retry with backoff).
 * - {@link TaskOutput} / {@link outputAsObservable}: what a task may return (a plain value, a
 *   Promise, an Observable), read the same way everywhere.
 * - {@link longDelays}: the one way to wait, safe for delays past Node's 2^31−1 ms timer limit.
 * - {@link guard}: a user callback whose throw goes to an error channel, never out of the call.
 * - {@link parseConfig} and the shared schemas: validate once, at the boundary.
 */
export { attemptsOf, withAttempts } from './attempts.js';
export type { AttemptPolicy } from './attempts.js';
export { Bucket } from './bucket.js';
export { allSettledNow, copyCounters, countEvent, emptyCounters } from '../counters.js';
export type { CountableEvent, MutableCounters } from '../counters.js';
export { backoffPolicySchema } from '../retry-backoff.js';
export {
  assertFunction,
  functionSchema,
  limitSchema,
  millisecondsSchema,
  parseConfig,
  parseIndex,
  parseLimit,
  schedulerSchema,
} from './config.js';
export { guard } from './guard.js';
export type { ErrorSink } from './guard.js';
export { withSignal } from './live-signal.js';
export { LONGEST_TIMER_MS, longDelays } from './long-delays.js';
export { Pool } from './pool.js';
export type { PoolSink, PullIntake } from './pool.js';
export { Queue } from './queue.js';
export { nearestRank, SlidingWindow } from './sliding-window.js';
export { isObservableLike, isPromiseLike, outputAsObservable } from './task-output.js';
export type { TaskOutput } from './task-output.js';
export { TaskRun } from './task-run.js';
export type { RunHost, TaskContext } from './task-run.js';
