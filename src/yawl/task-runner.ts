import { type Span, context } from '@opentelemetry/api';
import { defer, filter, finalize, map, Observable, type Subscription, takeUntil, tap } from 'rxjs';
import { endSpan, inSpan, startSpan } from '../telemetry/spans.js';
import type { OperationResult } from '../operations/types.js';
import type { JsonValue } from '../receipts/canonical-json.js';
import type { BridgeContext } from './bridge-context.js';

/** What a bridged task's daemon run carries. */
export interface TaskPayload {
  readonly caseId: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly worker: string | undefined;
}

/**
 * The task's handler run through the daemon, as a cold Observable: it starts the task in the engine,
 * and the run's outcome completes (or fails) it there. The run ends — cancelled, its handler's
 * signal aborted — when the task stops being this run's to finish (cancelled, withdrawn, failed by
 * a timeout).
 */
export function runOnDaemon(
  bridge: BridgeContext,
  caseId: string,
  taskId: string,
  worker: string | undefined,
  beforeOutcome: () => void = () => undefined,
): Observable<OperationResult> {
  const { engine, daemon } = bridge;
  return defer(() => {
    if (engine.tasks(caseId).get(taskId) !== 'started') engine.enableTask(caseId, taskId);
    const slot = bridge.slots.slot(caseId, taskId);
    const payload: TaskPayload = { caseId, taskId, attempt: ++slot.attempts, worker };
    // The task's span; the daemon run it dispatches (subscribed inside it) is its child.
    const parent = context.active();
    let span: Span | undefined = startSpan(
      'rxdaemon.yawl_task',
      { 'rxdaemon.task_id': taskId, 'rxdaemon.case_id': caseId, 'rxdaemon.attempt': payload.attempt },
      parent,
    );
    const run = daemon.run<JsonValue>(bridge.operationId, payload);
    return new Observable<OperationResult<JsonValue>>((subscriber) =>
      inSpan(span, parent, () => run.subscribe(subscriber)),
    ).pipe(
      tap((result) => {
        endSpan(span, result.status, result.error);
        span = undefined;
      }),
      // Given up before a result (the task cancelled, withdrawn, timed out): not an error.
      finalize(() => endSpan(span, 'cancelled')),
    );
  }).pipe(
    takeUntil(
      engine.events.pipe(
        filter(
          (e) =>
            // A timer that expired completed the task: its handler's run is given up.
            (e.type === 'task:cancelled' || e.type === 'task:failed' || e.type === 'task:timed-out') &&
            e.caseId === caseId &&
            e.taskId === taskId,
        ),
      ),
    ),
    map((result) => {
      beforeOutcome();
      if (engine.tasks(caseId).get(taskId) === 'started') {
        if (result.status === 'succeeded') engine.completeTask(caseId, taskId, result.value ?? null);
        else if (result.status === 'failed') engine.failTask(caseId, taskId, result.error);
      }
      return result as OperationResult;
    }),
  );
}

/**
 * Starts the task and runs its handler on the daemon's pool, remembering the run in the task's slot
 * until it ends. The run is forgotten *before* its outcome reaches the engine, so a loop that enables
 * the task again from that outcome — synchronously or not — finds the task free and runs it again.
 */
export function runTask(bridge: BridgeContext, caseId: string, taskId: string): void {
  bridge.engine.enableTask(caseId, taskId);
  const slot = bridge.slots.slot(caseId, taskId);
  const mine: { run?: Subscription; ended?: boolean } = {};
  const forget = () => {
    mine.ended = true;
    if (mine.run !== undefined && slot.run === mine.run) slot.run = undefined;
  };
  const { engine } = bridge;
  mine.run = runOnDaemon(bridge, caseId, taskId, undefined, forget)
    .pipe(finalize(forget))
    .subscribe({
      // The engine refused the outcome (an OR split whose data matches no branch): the task fails.
      error: (error: unknown) => {
        if (engine.tasks(caseId).get(taskId) === 'started') engine.failTask(caseId, taskId, error);
      },
    });
  if (!mine.ended) slot.run = mine.run;
}
