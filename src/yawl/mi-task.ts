import { Observable, Subject, tap } from 'rxjs';
import { InstanceTable } from '../instances/instance-table.js';
import type { MIEvent } from '../instances/mi-event.js';
import { type MISource, runMultipleInstance } from '../instances/multiple-instance.js';
import type { MISpec } from '../instances/spec.js';
import type { JsonValue } from '../receipts/canonical-json.js';
import type { BridgeContext } from './bridge-context.js';
import type { InstanceHandler } from './bridge-types.js';

/**
 * A YAWL multiple-instance task on the MI engine, cold: subscribing starts the task in the engine
 * and runs its instances; the decision completes (values as data), fails or cancels the task there.
 * While it runs, its instance registry and a cancel switch live in the task's slot.
 */
export function miTask<I, R extends JsonValue>(
  bridge: BridgeContext,
  caseId: string,
  taskId: string,
  inputs: number | MISource<I>,
  run: InstanceHandler<I, R>,
  spec: Omit<MISpec<I, R>, 'run' | 'taskId' | 'caseId' | 'abort' | 'scheduler'>,
  /** How a dynamic task takes more instances while it runs (`YawlBridge.addMIInstance`). */
  add?: (input: JsonValue) => void,
): Observable<MIEvent<I, R>> {
  const { engine } = bridge;
  return new Observable<MIEvent<I, R>>((subscriber) => {
    const abort = new Subject<void>();
    const registry = new InstanceTable<R>();
    engine.enableTask(caseId, taskId);
    // Kept in the task's slot after the decision too, for queries, until the case is forgotten.
    bridge.slots.slot(caseId, taskId).mi = { registry, cancel: () => abort.next(), add };
    return runMultipleInstance(inputs as MISource<I>, {
      ...spec,
      taskId,
      caseId,
      scheduler: bridge.scheduler,
      abort,
      run,
    })
      .pipe(
        tap((event) => {
          registry.apply(event);
          if (event.type !== 'decided') return;
          bridge.emit({ type: 'mi:decided', caseId, taskId, status: event.status, reason: event.reason });
          if (engine.tasks(caseId).get(taskId) !== 'started') return;
          if (event.status === 'failed') engine.failTask(caseId, taskId, event.cause ?? event.reason);
          else if (event.status === 'cancelled') engine.cancelTask(caseId, taskId);
          else {
            try {
              engine.completeTask(caseId, taskId, { values: event.result.values as readonly JsonValue[] });
            } catch (error) {
              // The engine refused the outcome (its aggregation query failed, no branch matched):
              // the task fails rather than staying started for ever.
              engine.failTask(caseId, taskId, error);
            }
          }
        }),
      )
      .subscribe(subscriber);
  });
}
