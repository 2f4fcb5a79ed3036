import { defer, filter, map, merge, type Observable, share, take } from 'rxjs';
import type { JsonValue } from '../receipts/canonical-json.js';
import type { BridgeContext } from './bridge-context.js';
import { runTask } from './task-runner.js';

/**
 * Deferred choice (WCP-16): listens to one trigger per competing task; the first to fire starts its
 * task (which withdraws the others in the engine) and the rest stop listening. A chosen task with a
 * handler runs it; one without completes with the trigger's value. Emits the chosen task id.
 */
export function deferredChoice(
  bridge: BridgeContext,
  caseId: string,
  choices: Readonly<Record<string, Observable<unknown>>>,
): Observable<string> {
  const { engine } = bridge;
  const racers = Object.entries(choices).map(([taskId, trigger]) =>
    trigger.pipe(map((value) => ({ taskId, value }))),
  );
  return defer(() => merge(...racers)).pipe(
    filter(({ taskId }) => engine.tasks(caseId).get(taskId) === 'enabled'),
    take(1),
    map(({ taskId, value }) => {
      const withdrawn = Object.keys(choices).filter((other) => other !== taskId);
      bridge.emit({ type: 'choice:made', caseId, taskId, withdrawn });
      if (bridge.handlerOf(taskId)) runTask(bridge, caseId, taskId);
      else {
        engine.enableTask(caseId, taskId);
        engine.completeTask(caseId, taskId, toJson(value));
      }
      return taskId;
    }),
    share(),
  );
}

function toJson(value: unknown): JsonValue {
  try {
    return JSON.parse(JSON.stringify(value ?? null)) as JsonValue;
  } catch {
    return null;
  }
}
