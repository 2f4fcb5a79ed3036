import { defer, finalize, map, merge, type Observable } from 'rxjs';
import type { OperationResult } from '../operations/types.js';
import type { BridgeContext } from './bridge-context.js';
import { runOnDaemon } from './task-runner.js';
import { type DistributionStrategy, WorkerSlots } from './worker-slots.js';

/** One task's outcome on the worker slot it ran on. */
export interface DistributedResult {
  readonly taskId: string;
  readonly worker: string;
  readonly result: OperationResult;
}

/**
 * Runs enabled tasks (an AND split's branches) at once on the daemon's pool, each on a named worker
 * slot chosen by `strategy`; emits each task's result as it finishes. Slots (and their load) are
 * shared by every distribution over the same worker names.
 */
export function distribute(
  bridge: BridgeContext,
  pools: Map<string, WorkerSlots>,
  caseId: string,
  taskIds: readonly string[],
  workers: readonly string[],
  strategy: DistributionStrategy,
): Observable<DistributedResult> {
  const key = workers.join('\u0000');
  const slots = pools.get(key) ?? new WorkerSlots(workers);
  pools.set(key, slots);
  return defer(() =>
    merge(
      ...taskIds.map((taskId) => {
        const worker = slots.assign(strategy, `${caseId}/${taskId}`);
        bridge.emit({ type: 'task:assigned', caseId, taskId, worker });
        return runOnDaemon(bridge, caseId, taskId, worker).pipe(
          map((result) => ({ taskId, worker, result })),
          finalize(() => slots.release(worker)),
        );
      }),
    ),
  );
}
