import { concat, finalize, from, ReplaySubject, Subscription } from 'rxjs';
import type { RetryPolicy } from '../instances/spec.js';
import { fromYawlAttributes } from '../instances/yawl-attributes.js';
import type { JsonValue } from '../receipts/canonical-json.js';
import type { BridgeContext } from './bridge-context.js';
import type { InstanceHandler } from './bridge-types.js';
import { yawlAttributes } from './definition.js';
import { YawlError } from './memory-engine.js';
import { miTask } from './mi-task.js';

/**
 * Runs an enabled MI task with an instance handler, as YAWL fires one: its inputs from the case data
 * (the engine's `miInputs` — its splitting query — or `minimum` null inputs without one), its
 * instances on the MI engine with the task's threshold, the decision completing the task with the
 * values (which the engine aggregates into the case data). A dynamic task takes more instances
 * (`add`) until every instance it has is done; then its input closes and the exit rule decides.
 * An input query that fails fails the task.
 */
export function runMIFromCaseData(
  bridge: BridgeContext,
  caseId: string,
  taskId: string,
  run: InstanceHandler<JsonValue, JsonValue>,
  options: { readonly concurrency: number; readonly retry: RetryPolicy | undefined },
): void {
  const { engine, scheduler } = bridge;
  const mi = engine.workflow(engine.caseWorkflow(caseId)!)!.tasks.find((t) => t.id === taskId)!.mi!;
  let items: JsonValue[];
  try {
    items = engine.miInputs?.(caseId, taskId) ?? Array.from({ length: mi.minimum }, () => null);
  } catch (error) {
    engine.enableTask(caseId, taskId);
    engine.failTask(caseId, taskId, error);
    return;
  }
  const dynamic = mi.creationMode === 'dynamic';
  // Replayed: an instance may add a sibling while the initial items are still being admitted.
  const additions = new ReplaySubject<JsonValue>();
  let admitted = 0;
  let settled = 0;
  let idleCheck: Subscription | undefined;
  // Closed once every instance is done and none was added meanwhile (a later turn, so a handler
  // that adds a sibling as it finishes is counted first).
  const closeWhenIdle = () => {
    idleCheck?.unsubscribe();
    idleCheck = scheduler.schedule(() => {
      if (admitted === settled) additions.complete();
    });
  };
  let created = items.length;
  const add = (input: JsonValue) => {
    if (created >= mi.maximum)
      throw new YawlError(`Task ${taskId} of case ${caseId} has its maximum of ${mi.maximum} instances`);
    created++;
    additions.next(input);
  };
  const slot = bridge.slots.slot(caseId, taskId);
  let ended = false;
  const subscription = new Subscription();
  const run$ = miTask(
    bridge,
    caseId,
    taskId,
    dynamic ? concat(from(items), additions) : items,
    run,
    {
      ...fromYawlAttributes(yawlAttributes(mi)),
      concurrency: options.concurrency,
      ...(options.retry ? { retry: options.retry } : {}),
    },
    dynamic ? add : undefined,
  ).pipe(
    finalize(() => {
      ended = true;
      idleCheck?.unsubscribe();
      if (slot.mi) slot.mi.add = undefined;
      if (slot.run === subscription) slot.run = undefined;
    }),
  );
  subscription.add(
    run$.subscribe({
      next: (event) => {
        if (!dynamic) return;
        if (event.type === 'admitted') admitted++;
        else if (event.type === 'succeeded' || event.type === 'failed' || event.type === 'cancelled') {
          settled++;
          if (admitted === settled) closeWhenIdle();
        }
      },
      error: (error: unknown) => {
        if (engine.tasks(caseId).get(taskId) === 'started') engine.failTask(caseId, taskId, error);
      },
    }),
  );
  if (ended) return;
  slot.run = subscription;
  if (dynamic && items.length === 0) closeWhenIdle();
}
