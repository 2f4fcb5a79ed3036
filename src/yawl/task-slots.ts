import type { Subscription } from 'rxjs';
import type { InstanceRegistry } from '../instances/instance-states.js';
import type { RetryPolicy } from '../instances/spec.js';
import type { JsonValue } from '../receipts/canonical-json.js';

/** What the bridge keeps about one task of one case: one object, not a map per concern. */
export interface TaskSlot {
  /** The daemon run in flight: unsubscribing it cancels the run. */
  run: Subscription | undefined;
  /** Runs made so far (1, 2, … per automatic retry). */
  attempts: number;
  /** A retry waiting for its backoff delay. */
  retry: Subscription | undefined;
  /** This task's retry policy in this case (`scheduleRetry`), in place of the bridge's. */
  retryPolicy: RetryPolicy | undefined;
  /** Why it last failed (what `retryIf` is asked about when a retry is scheduled later). */
  failure: unknown;
  /** A `watchTaskTimeout` deadline. */
  watch: Subscription | undefined;
  /**
   * An MI task's instance registry and its cancel switch, while it runs; `add` while a dynamic one
   * run from the case data still takes instances.
   */
  mi:
    | {
        registry: InstanceRegistry<unknown>;
        cancel: () => void;
        add?: ((input: JsonValue) => void) | undefined;
      }
    | undefined;
}

/** The bridge's bookkeeping, case → task → slot, so a finished case is forgotten in one step. */
export class TaskSlots {
  private readonly cases = new Map<string, Map<string, TaskSlot>>();

  get(caseId: string, taskId: string): TaskSlot | undefined {
    return this.cases.get(caseId)?.get(taskId);
  }

  slot(caseId: string, taskId: string): TaskSlot {
    let tasks = this.cases.get(caseId);
    if (!tasks) this.cases.set(caseId, (tasks = new Map()));
    let slot = tasks.get(taskId);
    if (!slot) {
      slot = {
        run: undefined,
        attempts: 0,
        retry: undefined,
        retryPolicy: undefined,
        failure: undefined,
        watch: undefined,
        mi: undefined,
      };
      tasks.set(taskId, slot);
    }
    return slot;
  }

  /** A task completed or was cancelled: its retry and deadline go, its attempts start over. */
  settle(caseId: string, taskId: string): void {
    const slot = this.get(caseId, taskId);
    if (!slot) return;
    slot.attempts = 0;
    slot.retry?.unsubscribe();
    slot.watch?.unsubscribe();
    slot.retry = slot.watch = undefined;
  }

  /** Cancels everything of a case (runs, retries, deadlines, MI tasks) and forgets it. */
  forgetCase(caseId: string): void {
    const tasks = this.cases.get(caseId);
    this.cases.delete(caseId);
    for (const slot of tasks?.values() ?? []) release(slot);
  }

  /** Cancels everything of every case. */
  clear(): void {
    for (const caseId of [...this.cases.keys()]) this.forgetCase(caseId);
  }
}

function release(slot: TaskSlot): void {
  slot.run?.unsubscribe();
  slot.retry?.unsubscribe();
  slot.watch?.unsubscribe();
  slot.mi?.cancel();
  slot.run = slot.retry = slot.watch = slot.mi = undefined;
}
