import { backoffDelay } from '../../operators/index.js';
import { longDelays } from '../../operators/internal/index.js';
import type { RetryPolicy } from '../instances/spec.js';
import type { BridgeContext } from './bridge-context.js';
import { runTask } from './task-runner.js';

/**
 * After `task:failed`: another run of the task after a backoff delay while attempts remain (and
 * `retryIf` agrees), else `task:retry-exhausted`. A `retryIf` or `random` that throws ends the
 * retries with that error: the task stays failed, nothing is thrown out of the engine's delivery.
 */
export function retryFailedTask(
  bridge: BridgeContext,
  policy: RetryPolicy | undefined,
  random: (() => number) | undefined,
  caseId: string,
  taskId: string,
  error: unknown,
): void {
  const slot = bridge.slots.slot(caseId, taskId);
  const attempts = Math.max(1, slot.attempts);
  let again = false;
  let delayMs = 0;
  try {
    again =
      policy !== undefined &&
      bridge.handlerOf(taskId) !== undefined &&
      attempts < policy.maxAttempts &&
      (policy.retryIf === undefined || policy.retryIf(error, attempts));
    if (again) delayMs = backoffDelay(attempts, policy!, random);
  } catch (thrown) {
    again = false;
    error = thrown;
  }
  if (!again) {
    if (policy) bridge.emit({ type: 'task:retry-exhausted', caseId, taskId, attempts, error });
    return;
  }
  bridge.emit({ type: 'task:retry-scheduled', caseId, taskId, attempt: attempts + 1, delayMs });
  slot.retry = longDelays(bridge.scheduler).schedule(() => {
    slot.retry = undefined;
    if (bridge.engine.tasks(caseId).get(taskId) === 'failed') runTask(bridge, caseId, taskId);
  }, delayMs);
}
