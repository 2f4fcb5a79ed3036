import {
  asyncScheduler,
  isObservable,
  map,
  type Observable,
  type SchedulerLike,
  Subject,
  Subscription,
} from 'rxjs';
import { ConfigError, TimeoutError } from '../../operators/index.js';
import { z } from 'zod';
import {
  functionSchema,
  longDelays,
  millisecondsSchema,
  observableSchema,
  parseConfig,
  schedulerSchema,
  withMethod,
} from '../../operators/internal/index.js';
import { type RetryPolicy, retryPolicySchema } from '../instances/spec.js';
import type { MIEvent } from '../instances/mi-event.js';
import type { InstanceRecord } from '../instances/mi-result.js';
import type { MISource } from '../instances/multiple-instance.js';
import { fromYawlAttributes } from '../instances/yawl-attributes.js';
import { assertJson, type JsonValue } from '../receipts/canonical-json.js';
import { assertSafeIdentifier } from '../security/injection.js';
import type { TriggerConfig } from '../triggers/trigger-config.js';
import { type BridgeContext, ownHandler } from './bridge-context.js';
import type { BridgeEvent, InstanceHandler, TaskHandlerContext, YawlBridgeOptions } from './bridge-types.js';
import { deferredChoice } from './deferred-choice.js';
import { distribute, type DistributedResult } from './distribution.js';
import { type TaskDefinition, yawlAttributes } from './definition.js';
import type { YawlEvent } from './engine.js';
import { YawlError } from './memory-engine.js';
import { runMIFromCaseData } from './mi-from-case-data.js';
import { miTask } from './mi-task.js';
import { retryFailedTask } from './task-retry.js';
import { runTask, type TaskPayload } from './task-runner.js';
import { TaskSlots } from './task-slots.js';
import { type DistributionStrategy, WorkerSlots } from './worker-slots.js';

const optionsSchema = z.strictObject({
  daemon: withMethod('schedule', 'a daemon (createDaemon)'),
  engine: withMethod('enableTask', 'a YawlEngine'),
  handlers: z.record(z.string(), functionSchema).optional(),
  miHandlers: z.record(z.string(), functionSchema).optional(),
  miConcurrency: z.number().int().min(1).optional(),
  manual: z.array(z.string()).optional(),
  retry: retryPolicySchema.optional(),
  scheduler: schedulerSchema.optional(),
  random: functionSchema.optional(),
});

const distributionSchema = z.strictObject({
  taskIds: z
    .array(z.string())
    .refine((ids) => new Set(ids).size === ids.length, 'must not name a task twice'),
  workers: z.array(z.string().min(1)),
  strategy: z.enum(['round-robin', 'least-loaded', 'hash']).optional(),
});

/** The daemon operation a bridge's handlers run under (`yawl-task`, `yawl-task-2`, … per daemon). */
export const TASK_OPERATION = 'yawl-task';

/**
 * Runs YAWL workflows on the daemon: enabled tasks with a handler are started and
 * run on the daemon's pool, their results complete (or fail) them in the engine, failures are
 * retried with backoff, deferred choices listen to their triggers, MI tasks run on the MI engine.
 * Every id that crosses into the engine passes `assertSafeIdentifier`.
 */
export class YawlBridge {
  /** What the bridge decides: assignments, retries, timeouts, choices, MI decisions. */
  readonly events: Observable<BridgeEvent>;
  /** This bridge's operation on the daemon: several bridges may share one daemon (and its pool). */
  readonly operationId: string;
  private readonly subject = new Subject<BridgeEvent>();
  private readonly context: BridgeContext;
  private readonly slots = new TaskSlots();
  private readonly workerSlots = new Map<string, WorkerSlots>();
  private readonly manual: ReadonlySet<string>;
  private readonly subscription: Subscription;
  private recurring = 0;

  /** @throws ConfigError naming every bad option (a handler that is not a function, an unknown key, …) */
  constructor(private readonly options: YawlBridgeOptions) {
    parseConfig('YawlBridge options', optionsSchema, options);
    const { daemon, engine, handlers = {}, miHandlers = {} } = options;
    for (const taskId of [...Object.keys(handlers), ...Object.keys(miHandlers)]) assertSafeIdentifier(taskId);
    this.manual = new Set(options.manual ?? []);
    const scheduler: SchedulerLike = options.scheduler ?? asyncScheduler;
    this.events = this.subject.asObservable();
    this.operationId = freeOperationId(daemon.operations().map((o) => o.id));
    this.context = {
      daemon,
      engine,
      scheduler,
      operationId: this.operationId,
      slots: this.slots,
      handlerOf: (taskId) => ownHandler(handlers, taskId),
      emit: (event) => this.subject.next({ ...event, at: scheduler.now() } as BridgeEvent),
    };
    daemon.schedule<TaskPayload, JsonValue>({
      id: this.operationId,
      overlap: 'allow',
      run: ({ payload, signal }) => {
        const { caseId, taskId, attempt, worker } = payload!;
        const input = engine.taskInput?.(caseId, taskId) ?? {};
        const context: TaskHandlerContext = { caseId, taskId, attempt, worker, signal, input };
        return ownHandler(handlers, taskId)!(context);
      },
    });
    this.subscription = engine.events.subscribe((event) => this.react(event));
  }

  /** Stops listening to the engine and cancels what the bridge runs. */
  dispose(): void {
    this.subscription.unsubscribe();
    this.slots.clear();
    this.options.daemon.unschedule(this.operationId);
  }

  /** Creates a case of `workflowId` each time `trigger` fires, as a daemon operation; returns its id. */
  scheduleRecurringCase(
    workflowId: string,
    trigger: TriggerConfig | Observable<unknown>,
    input: JsonValue = null,
  ): string {
    assertSafeIdentifier(workflowId);
    assertJson(input, 'input'); // here, not at each case the trigger creates
    const { engine, daemon, scheduler } = this.context;
    if (!engine.workflow(workflowId)) throw new YawlError(`No workflow ${workflowId}`);
    const operationId = `yawl-case-${workflowId}-${++this.recurring}`;
    daemon.schedule({
      id: operationId,
      overlap: 'allow',
      ...(isObservable(trigger)
        ? { trigger: trigger.pipe(map(() => ({ kind: 'event' as const, at: scheduler.now() }))) }
        : { trigger }),
      run: () => engine.createCase(workflowId, input),
    });
    return operationId;
  }

  /**
   * Fails the task with a TimeoutError (its run cancelled, its retry policy applied) unless it
   * completes or is cancelled within `ms` of scheduler time.
   */
  watchTaskTimeout(caseId: string, taskId: string, ms: number): Subscription {
    this.check(caseId, taskId);
    parseConfig('watchTaskTimeout', z.object({ ms: millisecondsSchema }), { ms });
    const { engine, scheduler } = this.context;
    const slot = this.slots.slot(caseId, taskId);
    slot.watch?.unsubscribe();
    const watch = longDelays(scheduler).schedule(() => {
      if (slot.watch === watch) slot.watch = undefined;
      if (engine.tasks(caseId).get(taskId) !== 'started') return;
      this.context.emit({ type: 'task:timed-out', caseId, taskId, timeoutMs: ms });
      engine.failTask(caseId, taskId, new TimeoutError(ms));
    }, ms);
    slot.watch = watch;
    return watch;
  }

  /**
   * Retries task `taskId` of case `caseId` when it fails, with `policy` in place of the bridge's
   * `retry` (default: the bridge's): attempts in all, a backoff between them, `task:retry-scheduled`
   * and `task:retry-exhausted` as for automatic retries. A task that has failed already is retried
   * now. Unsubscribing withdraws the policy and a retry waiting for its delay.
   * @throws YawlError for an unknown case or a task without a handler (nothing would run it again),
   * ConfigError for a bad policy or none at all
   */
  scheduleRetry(caseId: string, taskId: string, policy?: RetryPolicy): Subscription {
    this.check(caseId, taskId);
    if (policy !== undefined) parseConfig('scheduleRetry policy', retryPolicySchema, policy);
    const retry = policy ?? this.options.retry;
    if (retry === undefined)
      throw new ConfigError(
        'scheduleRetry',
        ['policy'],
        ['policy: required (the bridge has no retry of its own)'],
      );
    if (this.context.handlerOf(taskId) === undefined)
      throw new YawlError(`Task ${taskId} has no handler on this bridge: nothing would run it again`);
    const slot = this.slots.slot(caseId, taskId);
    slot.retryPolicy = retry;
    if (slot.retry === undefined && this.context.engine.tasks(caseId).get(taskId) === 'failed')
      retryFailedTask(this.context, retry, this.options.random, caseId, taskId, slot.failure);
    return new Subscription(() => {
      if (slot.retryPolicy !== retry) return; // a later call put its own in place
      slot.retryPolicy = undefined;
      slot.retry?.unsubscribe();
      slot.retry = undefined;
    });
  }

  /**
   * Deferred choice: listens to one trigger per competing task; the first to fire starts its task
   * (which withdraws the others in the engine) and the rest stop listening. A chosen task with a
   * handler runs it; one without completes with the trigger's value. Emits the chosen task id.
   */
  waitForChoice(caseId: string, choices: Readonly<Record<string, Observable<unknown>>>): Observable<string> {
    this.checkCase(caseId);
    parseConfig('waitForChoice choices', z.record(z.string(), observableSchema), choices);
    if (Object.keys(choices).length < 2)
      throw new YawlError('A deferred choice needs at least two competing tasks');
    for (const taskId of Object.keys(choices)) this.check(caseId, taskId);
    return deferredChoice(this.context, caseId, choices);
  }

  /**
   * Runs enabled tasks (an AND split's branches) at once on the daemon's pool, each on a named
   * worker slot chosen by `strategy`; emits each task's result as it finishes.
   */
  distributeAndSplitTasks(
    caseId: string,
    taskIds: readonly string[],
    options: { readonly workers: readonly string[]; readonly strategy?: DistributionStrategy },
  ): Observable<DistributedResult> {
    parseConfig('distributeAndSplitTasks', distributionSchema, { taskIds, ...options });
    // Every task known before any starts: one that is not would fail after the others had run.
    for (const taskId of taskIds) this.checkTask(caseId, taskId);
    if (options.workers.length === 0)
      throw new YawlError('distributeAndSplitTasks needs at least one worker');
    return distribute(
      this.context,
      this.workerSlots,
      caseId,
      taskIds,
      options.workers,
      options.strategy ?? 'round-robin',
    );
  }

  /**
   * A multiple-instance task, cold: subscribing starts it and runs one instance per input with the
   * spec its YAWL attributes give (`fromYawlAttributes`); the decision completes the task with the
   * values as data, fails it, or cancels it. Emits the MI events. The handler's context is the MI
   * engine's (`taskId`, `caseId`, `index`, `instanceId`, `attempt`, a live `signal`).
   */
  executeMITask<I, R extends JsonValue>(
    caseId: string,
    taskId: string,
    inputs: number | MISource<I>,
    run: InstanceHandler<I, R>,
    options: { readonly concurrency?: number } = {},
  ): Observable<MIEvent<I, R>> {
    const mi = this.checkTask(caseId, taskId).mi;
    if (!mi) {
      const workflowId = this.context.engine.caseWorkflow(caseId)!;
      throw new YawlError(`Task ${taskId} of ${workflowId} is not a multiple-instance task`);
    }
    return miTask(this.context, caseId, taskId, inputs, run, {
      ...fromYawlAttributes(yawlAttributes(mi)),
      concurrency: options.concurrency ?? 10,
    });
  }

  /** The state of one instance (or every instance) of an MI task, while its case runs. */
  getMIInstanceStatus(caseId: string, taskId: string, index: number): InstanceRecord<unknown> | undefined;
  getMIInstanceStatus(caseId: string, taskId: string): InstanceRecord<unknown>[];
  getMIInstanceStatus(
    caseId: string,
    taskId: string,
    index?: number,
  ): InstanceRecord<unknown> | InstanceRecord<unknown>[] | undefined {
    const registry = this.slots.get(caseId, taskId)?.mi?.registry;
    if (index !== undefined) return registry?.get(index);
    return registry?.snapshot() ?? [];
  }

  /**
   * Adds an instance to a running dynamic MI task that the bridge runs from the case data
   * (`miHandlers`; YAWL's `t_add`, WCP-15) — from one of its instance handlers, or from outside.
   * @throws YawlError when no such task runs, it is static, it is decided, or it is at its maximum
   */
  addMIInstance(caseId: string, taskId: string, input: JsonValue): void {
    this.check(caseId, taskId);
    const mi = this.slots.get(caseId, taskId)?.mi;
    if (!mi?.add)
      throw new YawlError(`No dynamic multiple-instance task ${taskId} takes instances in case ${caseId}`);
    mi.add(input);
  }

  /** Cancels a running MI task: every instance torn down, the task cancelled in the engine (WCP-26). */
  cancelMITask(caseId: string, taskId: string): void {
    const mi = this.slots.get(caseId, taskId)?.mi;
    if (!mi) throw new YawlError(`No multiple-instance task ${taskId} runs in case ${caseId}`);
    mi.cancel();
  }

  private react(event: YawlEvent): void {
    if (!('taskId' in event)) {
      if (event.type === 'case:completed' || event.type === 'case:cancelled')
        this.slots.forgetCase(event.caseId);
      return;
    }
    const { caseId, taskId } = event;
    switch (event.type) {
      case 'task:enabled': {
        const miHandler = this.miHandlerOf(taskId);
        const free =
          this.slots.get(caseId, taskId)?.run === undefined &&
          this.context.engine.tasks(caseId).get(taskId) === 'enabled';
        if (miHandler && free && this.isMI(caseId, taskId)) {
          runMIFromCaseData(this.context, caseId, taskId, miHandler, {
            concurrency: this.options.miConcurrency ?? 10,
            retry: this.options.retry,
          });
          return;
        }
        if (this.autoRuns(taskId) && free) {
          runTask(this.context, caseId, taskId);
        }
        return;
      }
      case 'task:failed': {
        const slot = this.slots.slot(caseId, taskId);
        slot.failure = event.error;
        const policy = slot.retryPolicy ?? this.options.retry;
        return retryFailedTask(this.context, policy, this.options.random, caseId, taskId, event.error);
      }
      case 'task:cancelled':
        // An MI task the bridge runs, cancelled in the engine (a remove set, a withdrawal): its
        // instances are torn down too.
        if (this.slots.get(caseId, taskId)?.mi) this.slots.get(caseId, taskId)!.run?.unsubscribe();
        return this.slots.settle(caseId, taskId);
      case 'task:completed':
        return this.slots.settle(caseId, taskId);
      default:
        return;
    }
  }

  private miHandlerOf(taskId: string): InstanceHandler<JsonValue, JsonValue> | undefined {
    const handlers = this.options.miHandlers ?? {};
    return Object.hasOwn(handlers, taskId) && !this.manual.has(taskId) ? handlers[taskId] : undefined;
  }

  private isMI(caseId: string, taskId: string): boolean {
    return this.definitionOf(caseId, taskId)?.mi !== undefined;
  }

  /** Task `taskId` as the workflow of case `caseId` defines it, if it has one. */
  private definitionOf(caseId: string, taskId: string): TaskDefinition | undefined {
    const { engine } = this.context;
    return engine.workflow(engine.caseWorkflow(caseId)!)?.tasks.find((task) => task.id === taskId);
  }

  /** Enabled tasks with a handler start by themselves, unless the caller runs them (`manual`). */
  private autoRuns(taskId: string): boolean {
    return this.context.handlerOf(taskId) !== undefined && !this.manual.has(taskId);
  }

  private check(caseId: string, taskId: string): void {
    this.checkCase(caseId);
    assertSafeIdentifier(taskId);
  }

  /** The definition of a task the case's workflow has, its ids checked. @throws YawlError, InjectionError */
  private checkTask(caseId: string, taskId: string): TaskDefinition {
    this.check(caseId, taskId);
    const task = this.definitionOf(caseId, taskId);
    if (task) return task;
    throw new YawlError(`Workflow ${this.context.engine.caseWorkflow(caseId)!} has no task ${taskId}`);
  }

  private checkCase(caseId: string): void {
    assertSafeIdentifier(caseId);
    if (this.context.engine.caseStatus(caseId) === undefined) throw new YawlError(`No case ${caseId}`);
  }
}

/** `yawl-task`, or `yawl-task-2`, `-3`, … when another bridge on the same daemon has it. */
function freeOperationId(taken: readonly string[]): string {
  const used = new Set(taken);
  if (!used.has(TASK_OPERATION)) return TASK_OPERATION;
  let n = 2;
  while (used.has(`${TASK_OPERATION}-${n}`)) n++;
  return `${TASK_OPERATION}-${n}`;
}
