import type { Observable } from 'rxjs';
import type { JsonValue } from '../receipts/canonical-json.js';
import type { WorkflowDefinition } from './definition.js';

export type TaskState = 'enabled' | 'started' | 'failed';

/** Why a task was cancelled. `withdrawn`: it lost its enabling token (a deferred choice went another way). */
export type CancelReason =
  'withdrawn' | 'cancelled' | 'cancellation-set' | 'case-completed' | 'case-cancelled';

export interface CaseEventBase {
  readonly caseId: string;
  readonly workflowId: string;
  /** Scheduler time. */
  readonly at: number;
}

export type YawlEvent =
  | (CaseEventBase & { readonly type: 'case:created'; readonly data: JsonValue })
  | (CaseEventBase & { readonly type: 'case:completed' | 'case:cancelled' })
  | (CaseEventBase & {
      /**
       * The case can make no progress: tokens remain short of the output, but no task is enabled or
       * running (an AND-join missing a branch a cancellation removed, say). It stays `running`, so a
       * command can still repair it (`cancelCase`).
       */
      readonly type: 'case:stuck';
      readonly marking: Readonly<Record<string, number>>;
    })
  | (CaseEventBase & {
      /** `task:timed-out`: its timer expired; it completes as it stands, next. */
      readonly type: 'task:enabled' | 'task:started' | 'task:timed-out';
      readonly taskId: string;
    })
  | (CaseEventBase & { readonly type: 'task:completed'; readonly taskId: string; readonly data: JsonValue })
  | (CaseEventBase & { readonly type: 'task:failed'; readonly taskId: string; readonly error: unknown })
  | (CaseEventBase & {
      /** A late-bound timer's net variable holds no valid timer: the task runs without one. */
      readonly type: 'task:timer-invalid';
      readonly taskId: string;
      readonly reason: string;
    })
  | (CaseEventBase & {
      readonly type: 'task:cancelled';
      readonly taskId: string;
      readonly reason: CancelReason;
    })
  | (CaseEventBase & {
      /** A listener of `events` threw on an event of this case; the engine and the others carried on. */
      readonly type: 'engine:listener-failed';
      readonly error: unknown;
    });

/**
 * The port the bridge drives: a YAWL engine as commands and an event stream. The in-memory engine
 * implements it; another engine can, through an adapter, without the bridge changing.
 *
 * `enableTask` starts a work item the engine has enabled (YAWL's check-out): it takes the task's
 * tokens, which withdraws the other tasks of a deferred choice; on a failed task it starts it again.
 */
export interface YawlEngine {
  readonly events: Observable<YawlEvent>;
  /** The definitions this engine runs, by id. */
  workflow(workflowId: string): WorkflowDefinition | undefined;
  createCase(workflowId: string, data?: JsonValue, caseId?: string): string;
  enableTask(caseId: string, taskId: string): void;
  completeTask(caseId: string, taskId: string, data?: JsonValue): void;
  failTask(caseId: string, taskId: string, error?: unknown): void;
  cancelTask(caseId: string, taskId: string): void;
  cancelCase(caseId: string): void;
  /** Tasks of the case by state (the running and the waiting ones). */
  tasks(caseId: string): ReadonlyMap<string, TaskState>;
  caseStatus(caseId: string): 'running' | 'completed' | 'cancelled' | undefined;
  /** The workflow a case runs. */
  caseWorkflow(caseId: string): string | undefined;
  /** A task's input as its starting mappings make it from the case data (optional for an engine). */
  taskInput?(caseId: string, taskId: string): Readonly<Record<string, string>>;
  /**
   * An MI task's instance inputs from the case data (its splitting query), or `undefined` when the
   * task has none (optional for an engine).
   */
  miInputs?(caseId: string, taskId: string): JsonValue[] | undefined;
}
