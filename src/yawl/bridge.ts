import {
  asyncScheduler,
  defer,
  filter,
  finalize,
  map,
  merge,
  type Observable,
  type SchedulerLike,
  share,
  Subject,
  type Subscription,
  take,
  takeUntil,
  timer,
} from 'rxjs';
import { TimeoutError } from '../../operators/errors.js';
import { backoffDelay } from '../../operators/retry-backoff.js';
import { type InstanceRegistry, instanceStates } from '../instances/instance-states.js';
import type { MIEvent } from '../instances/mi-event.js';
import type { InstanceRecord } from '../instances/mi-result.js';
import { runMultipleInstance, type MISource } from '../instances/multiple-instance.js';
import { fromYawlAttributes } from '../instances/yawl-attributes.js';
import type { Daemon } from '../operations/daemon.js';
import type { OperationResult } from '../operations/types.js';
import type { JsonValue } from '../receipts/canonical-json.js';
import { assertSafeIdentifier } from '../security/injection.js';
import type { TriggerConfig } from '../triggers/trigger-config.js';
import type {
  BridgeEvent,
  InstanceHandler,
  TaskHandler,
  TaskHandlerContext,
  YawlBridgeOptions,
} from './bridge-types.js';
import type { YawlEngine, YawlEvent } from './engine.js';
import { YawlError } from './memory-engine.js';
import { type DistributionStrategy, WorkerSlots } from './worker-slots.js';

/** The daemon operation a bridge's handlers run under (`yawl-task`, `yawl-task-2`, … per bridge). */
export const TASK_OPERATION = 'yawl-task';
let bridges = 0;

interface TaskPayload {
  readonly caseId: string;
  readonly taskId: string;
  readonly attempt: number;
  readonly worker: string | undefined;
}

const keyOf = (caseId: string, taskId: string): string => `${caseId}/${taskId}`;

/**
 * Runs YAWL workflows on the daemon (DESIGN.md §7): enabled tasks with a handler are started and
 * run on the daemon's pool, their results complete (or fail) them in the engine, failures are
 * retried with backoff, deferred choices listen to their triggers, MI tasks run on the MI engine.
 * Every id that crosses into the engine passes `assertSafeIdentifier`.
 */
export class YawlBridge {
  /** What the bridge decides: assignments, retries, timeouts, choices, MI decisions. */
  readonly events: Observable<BridgeEvent>;
  private readonly subject = new Subject<BridgeEvent>();
  private readonly daemon: Daemon;
  private readonly engine: YawlEngine;
  private readonly handlers: Readonly<Record<string, TaskHandler>>;
  private readonly scheduler: SchedulerLike;
  /** Daemon runs in flight, by case/task: unsubscribing one cancels it. */
  private readonly runs = new Map<string, Subscription>();
  private readonly attempts = new Map<string, number>();
  private readonly retries = new Map<string, Subscription>();
  private readonly watches = new Map<string, Subscription>();
  private readonly miTasks = new Map<
    string,
    { registry: InstanceRegistry<unknown> | undefined; abort: Subject<void> }
  >();
  private readonly slots = new Map<string, WorkerSlots>();
  private readonly manual: ReadonlySet<string>;
  private readonly subscription: Subscription;
  private recurring = 0;
  /** This bridge's operation on the daemon: several bridges may share one daemon (and its pool). */
  readonly operationId = ++bridges === 1 ? TASK_OPERATION : `${TASK_OPERATION}-${bridges}`;

  constructor(private readonly options: YawlBridgeOptions) {
    this.daemon = options.daemon;
    this.engine = options.engine;
    this.handlers = options.handlers ?? {};
    this.manual = new Set(options.manual ?? []);
    for (const taskId of Object.keys(this.handlers)) assertSafeIdentifier(taskId);
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.events = this.subject.asObservable();
    this.daemon.schedule<TaskPayload, JsonValue>({
      id: this.operationId,
      overlap: 'allow',
      run: ({ payload, signal }) => {
        const { caseId, taskId, attempt, worker } = payload!;
        const context: TaskHandlerContext = { caseId, taskId, attempt, worker, signal };
        return this.handlers[taskId]!(context);
      },
    });
    this.subscription = this.engine.events.subscribe((event) => this.react(event));
  }

  /** Stops listening to the engine and cancels what the bridge runs. */
  dispose(): void {
    this.subscription.unsubscribe();
    for (const group of [this.runs, this.retries, this.watches]) {
      for (const s of group.values()) s.unsubscribe();
      group.clear();
    }
    for (const { abort } of this.miTasks.values()) abort.next();
    this.daemon.unschedule(this.operationId);
  }

  /** Creates a case of `workflowId` each time `trigger` fires, as a daemon operation; returns its id. */
  scheduleRecurringCase(
    workflowId: string,
    trigger: TriggerConfig | Observable<unknown>,
    input: JsonValue = null,
  ): string {
    assertSafeIdentifier(workflowId);
    if (!this.engine.workflow(workflowId)) throw new YawlError(`No workflow ${workflowId}`);
    const operationId = `yawl-case-${workflowId}-${++this.recurring}`;
    this.daemon.schedule({
      id: operationId,
      overlap: 'allow',
      ...(isObservable(trigger)
        ? { trigger: trigger.pipe(map(() => ({ kind: 'event' as const, at: this.scheduler.now() }))) }
        : { trigger }),
      run: () => [this.engine.createCase(workflowId, input)],
    });
    return operationId;
  }

  /**
   * Fails the task with a TimeoutError (its run cancelled, its retry policy applied) unless it
   * completes or is cancelled within `ms` of scheduler time.
   */
  watchTaskTimeout(caseId: string, taskId: string, ms: number): Subscription {
    this.check(caseId, taskId);
    const key = keyOf(caseId, taskId);
    this.watches.get(key)?.unsubscribe();
    const watch = timer(ms, this.scheduler).subscribe(() => {
      this.watches.delete(key);
      if (this.engine.tasks(caseId).get(taskId) !== 'started') return;
      this.emit({ type: 'task:timed-out', caseId, taskId, timeoutMs: ms });
      this.engine.failTask(caseId, taskId, new TimeoutError(ms));
    });
    this.watches.set(key, watch);
    return watch;
  }

  /**
   * Deferred choice: listens to one trigger per competing task; the first to fire starts its task
   * (which withdraws the others in the engine) and the rest stop listening. A chosen task with a
   * handler runs it; one without completes with the trigger's value. Emits the chosen task id.
   */
  waitForChoice(caseId: string, choices: Readonly<Record<string, Observable<unknown>>>): Observable<string> {
    this.checkCase(caseId);
    if (Object.keys(choices).length < 2)
      throw new YawlError('A deferred choice needs at least two competing tasks');
    for (const taskId of Object.keys(choices)) this.check(caseId, taskId);
    const racers = Object.entries(choices).map(([taskId, trigger]) =>
      trigger.pipe(map((value) => ({ taskId, value }))),
    );
    return merge(...racers).pipe(
      filter(({ taskId }) => this.engine.tasks(caseId).get(taskId) === 'enabled'),
      take(1),
      map(({ taskId, value }) => {
        const withdrawn = Object.keys(choices).filter((other) => other !== taskId);
        this.emit({ type: 'choice:made', caseId, taskId, withdrawn });
        if (this.handlers[taskId]) this.runTask(caseId, taskId);
        else {
          this.engine.enableTask(caseId, taskId);
          this.engine.completeTask(caseId, taskId, toJson(value));
        }
        return taskId;
      }),
      share(),
    );
  }

  /**
   * Runs enabled tasks (an AND split's branches) at once on the daemon's pool, each on a named
   * worker slot chosen by `strategy`; emits each task's result as it finishes.
   */
  distributeAndSplitTasks(
    caseId: string,
    taskIds: readonly string[],
    options: { readonly workers: readonly string[]; readonly strategy?: DistributionStrategy },
  ): Observable<{ readonly taskId: string; readonly worker: string; readonly result: OperationResult }> {
    for (const taskId of taskIds) this.check(caseId, taskId);
    if (options.workers.length === 0)
      throw new YawlError('distributeAndSplitTasks needs at least one worker');
    const key = options.workers.join('\u0000');
    const slots = this.slots.get(key) ?? new WorkerSlots(options.workers);
    this.slots.set(key, slots);
    return defer(() =>
      merge(
        ...taskIds.map((taskId) => {
          const worker = slots.assign(options.strategy ?? 'round-robin', keyOf(caseId, taskId));
          this.emit({ type: 'task:assigned', caseId, taskId, worker });
          return this.runOnDaemon(caseId, taskId, worker).pipe(
            map((result) => ({ taskId, worker, result })),
            finalize(() => slots.release(worker)),
          );
        }),
      ),
    );
  }

  /**
   * Runs a multiple-instance task: starts it, runs one instance per input with the spec its YAWL
   * attributes give (`fromYawlAttributes`), and reports the decision to the engine — `completed` with
   * the values as data, `failed` as a failure, `cancelled` as a cancellation. Emits the MI events.
   */
  executeMITask<I, R extends JsonValue>(
    caseId: string,
    taskId: string,
    inputs: number | MISource<I>,
    run: InstanceHandler<I, R>,
    options: { readonly concurrency?: number } = {},
  ): Observable<MIEvent<I, R>> {
    this.check(caseId, taskId);
    const workflowId = this.workflowOf(caseId);
    const mi = this.engine.workflow(workflowId)?.tasks.find((t) => t.id === taskId)?.mi;
    if (!mi) throw new YawlError(`Task ${taskId} of ${workflowId} is not a multiple-instance task`);
    const key = keyOf(caseId, taskId);
    const abort = new Subject<void>();
    const entry: { registry: InstanceRegistry<unknown> | undefined; abort: Subject<void> } = {
      registry: undefined,
      abort,
    };
    this.miTasks.set(key, entry);
    this.engine.enableTask(caseId, taskId);
    const events = runMultipleInstance(inputs as MISource<I>, {
      ...fromYawlAttributes(mi),
      taskId,
      caseId,
      concurrency: options.concurrency ?? 10,
      scheduler: this.scheduler,
      abort,
      run: (input: I, context) => run(input, { ...context, caseId }),
    }).pipe(share());
    events
      .pipe(instanceStates())
      .subscribe((registry) => (entry.registry = registry as InstanceRegistry<unknown>));
    events.pipe(filter((e) => e.type === 'decided')).subscribe((decided) => {
      if (decided.type !== 'decided') return;
      this.emit({ type: 'mi:decided', caseId, taskId, status: decided.status, reason: decided.reason });
      if (this.engine.tasks(caseId).get(taskId) !== 'started') return;
      if (decided.status === 'completed')
        this.engine.completeTask(caseId, taskId, { values: decided.result.values as readonly JsonValue[] });
      else if (decided.status === 'failed')
        this.engine.failTask(caseId, taskId, decided.cause ?? decided.reason);
      else this.engine.cancelTask(caseId, taskId);
    });
    return events;
  }

  /** The state of one instance (or every instance) of an MI task, while its case runs. */
  getMIInstanceStatus(caseId: string, taskId: string, index: number): InstanceRecord<unknown> | undefined;
  getMIInstanceStatus(caseId: string, taskId: string): InstanceRecord<unknown>[];
  getMIInstanceStatus(
    caseId: string,
    taskId: string,
    index?: number,
  ): InstanceRecord<unknown> | InstanceRecord<unknown>[] | undefined {
    const registry = this.miTasks.get(keyOf(caseId, taskId))?.registry;
    if (index !== undefined) return registry?.get(index);
    return registry?.snapshot() ?? [];
  }

  /** Cancels a running MI task: every instance torn down, the task cancelled in the engine (WCP-26). */
  cancelMITask(caseId: string, taskId: string): void {
    const entry = this.miTasks.get(keyOf(caseId, taskId));
    if (!entry) throw new YawlError(`No multiple-instance task ${taskId} runs in case ${caseId}`);
    entry.abort.next();
  }

  /** Starts the task and runs its handler on the daemon's pool. */
  private runTask(caseId: string, taskId: string): void {
    const key = keyOf(caseId, taskId);
    this.engine.enableTask(caseId, taskId);
    const run = this.runOnDaemon(caseId, taskId, undefined).subscribe();
    // A synchronous handler has finished (and its finalize forgotten it) before subscribe returns.
    if (!run.closed) this.runs.set(key, run);
  }

  /** The handler run through the daemon; its outcome completes or fails the task in the engine. */
  private runOnDaemon(
    caseId: string,
    taskId: string,
    worker: string | undefined,
  ): Observable<OperationResult> {
    const key = keyOf(caseId, taskId);
    return defer(() => {
      if (this.engine.tasks(caseId).get(taskId) !== 'started') this.engine.enableTask(caseId, taskId);
      const attempt = (this.attempts.get(key) ?? 0) + 1;
      this.attempts.set(key, attempt);
      const payload: TaskPayload = { caseId, taskId, attempt, worker };
      return this.daemon.run<JsonValue>(this.operationId, payload);
    }).pipe(
      // The task stopped being this run's to finish (cancelled, withdrawn, failed by a timeout):
      // unsubscribing cancels the daemon run and aborts the handler's signal.
      takeUntil(
        this.engine.events.pipe(
          filter(
            (e) =>
              (e.type === 'task:cancelled' || e.type === 'task:failed') &&
              e.caseId === caseId &&
              e.taskId === taskId,
          ),
        ),
      ),
      finalize(() => this.runs.delete(key)),
      map((result) => {
        if (this.engine.tasks(caseId).get(taskId) === 'started') {
          if (result.status === 'succeeded') this.engine.completeTask(caseId, taskId, result.value ?? null);
          else if (result.status === 'failed') this.engine.failTask(caseId, taskId, result.error);
        }
        return result as OperationResult;
      }),
    );
  }

  private react(event: YawlEvent): void {
    if (!('taskId' in event)) {
      if (event.type === 'case:completed' || event.type === 'case:cancelled') this.forgetCase(event.caseId);
      return;
    }
    const { caseId, taskId } = event;
    const key = keyOf(caseId, taskId);
    switch (event.type) {
      case 'task:enabled':
        if (
          this.autoRuns(taskId) &&
          !this.runs.has(key) &&
          this.engine.tasks(caseId).get(taskId) === 'enabled'
        ) {
          this.runTask(caseId, taskId);
        }
        return;
      case 'task:failed':
        return this.scheduleRetry(caseId, taskId, event.error);
      case 'task:cancelled':
      case 'task:completed':
        this.attempts.delete(key);
        for (const group of [this.retries, this.watches]) {
          group.get(key)?.unsubscribe();
          group.delete(key);
        }
        return;
      default:
        return;
    }
  }

  /** After `task:failed`: another attempt after a backoff delay while attempts remain, else `task:retry-exhausted`. */
  private scheduleRetry(caseId: string, taskId: string, error: unknown): void {
    const key = keyOf(caseId, taskId);
    const policy = this.options.retry;
    const attempts = this.attempts.get(key) ?? 1;
    if (
      !policy ||
      !this.handlers[taskId] ||
      attempts >= policy.maxAttempts ||
      (policy.retryIf && !policy.retryIf(error, attempts))
    ) {
      if (policy) this.emit({ type: 'task:retry-exhausted', caseId, taskId, attempts, error });
      return;
    }
    const delayMs = backoffDelay(attempts, policy, this.options.random);
    this.emit({ type: 'task:retry-scheduled', caseId, taskId, attempt: attempts + 1, delayMs });
    this.retries.set(
      key,
      timer(delayMs, this.scheduler).subscribe(() => {
        this.retries.delete(key);
        if (this.engine.tasks(caseId).get(taskId) === 'failed') this.runTask(caseId, taskId);
      }),
    );
  }

  /** Enabled tasks with a handler start by themselves, unless the caller runs them (`manual`). */
  private autoRuns(taskId: string): boolean {
    return this.handlers[taskId] !== undefined && !this.manual.has(taskId);
  }

  private forgetCase(caseId: string): void {
    const prefix = `${caseId}/`;
    for (const group of [this.runs, this.retries, this.watches]) {
      for (const [key, subscription] of group) {
        if (!key.startsWith(prefix)) continue;
        subscription.unsubscribe();
        group.delete(key);
      }
    }
    for (const map of [this.attempts, this.miTasks])
      for (const key of map.keys()) if (key.startsWith(prefix)) map.delete(key);
  }

  private check(caseId: string, taskId: string): void {
    this.checkCase(caseId);
    assertSafeIdentifier(taskId);
  }

  private checkCase(caseId: string): void {
    assertSafeIdentifier(caseId);
    if (this.engine.caseStatus(caseId) === undefined) throw new YawlError(`No case ${caseId}`);
  }

  private workflowOf(caseId: string): string {
    const found = this.engine.caseWorkflow(caseId);
    if (!found) throw new YawlError(`No case ${caseId}`);
    return found;
  }

  private emit(event: DistributiveOmit<BridgeEvent, 'at'>): void {
    this.subject.next({ ...event, at: this.scheduler.now() } as BridgeEvent);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function isObservable(value: unknown): value is Observable<unknown> {
  return typeof (value as { subscribe?: unknown } | null)?.subscribe === 'function';
}

function toJson(value: unknown): JsonValue {
  try {
    return JSON.parse(JSON.stringify(value ?? null)) as JsonValue;
  } catch {
    return null;
  }
}
