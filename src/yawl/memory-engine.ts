import { asyncScheduler, type Observable, type SchedulerLike, type Subscription } from 'rxjs';
import { Broadcast, longDelays } from '../../operators/internal/index.js';
import { EngineError } from '../errors.js';
import { assertJson, type JsonValue } from '../receipts/canonical-json.js';
import { assertSafeIdentifier } from '../security/injection.js';
import { compileWorkflow, type FlowDefinition, type Net, type WorkflowDefinition } from './definition.js';
import type { CancelReason, TaskState, YawlEngine, YawlEvent } from './engine.js';
import {
  type Content,
  contentOf,
  dataDocument,
  mappedContent,
  mappedValue,
  predicateHolds,
  shownValue,
  valuesOf,
} from './case-data.js';
import { aggregateMI, splitMI } from './mi-data.js';
import { durationEnd, type TimerTrigger, timerFromVariable } from './timer-spec.js';
import { yawlIdOf } from './import-yawl.js';
import { orJoinMustWait } from './or-join.js';
import type { Document } from 'slimdom';

/** A command the engine cannot carry out: unknown case or workflow, a task in the wrong state, … */
export class YawlError extends EngineError {
  override readonly code = 'YAWL_INVALID_COMMAND' as const;
}

interface Case {
  readonly id: string;
  readonly net: Net;
  readonly marking: Map<string, number>;
  readonly tasks: Map<string, TaskState>;
  status: 'running' | 'completed' | 'cancelled';
  /** No task enabled or running while tokens remain short of the output (reported once). */
  stuck: boolean;
  /** Armed task timers, by task id. */
  readonly timers: Map<string, Subscription>;
  /** Running sub-cases of composite tasks, by task id. */
  readonly children: Map<string, string>;
  /** For a sub-case: the composite task it runs for. */
  parent: { readonly caseId: string; readonly taskId: string } | undefined;
  /** Net variables (YAWL case data), as text. */
  readonly data: Map<string, string>;
}

export interface MemoryEngineOptions {
  readonly workflows: readonly WorkflowDefinition[];
  readonly scheduler?: SchedulerLike;
}

/**
 * A small, real YAWL net engine in memory: the token game over conditions and tasks with AND/XOR
 * joins and splits, cancellation (remove) sets, deferred choice and MI task attributes.
 *
 * @throws ConfigError naming every problem of every definition; none is registered then
 */
export function createMemoryYawlEngine(options: MemoryEngineOptions): MemoryYawlEngine {
  const nets = new Map<string, Net>();
  for (const definition of options.workflows) {
    const net = compileWorkflow(definition);
    if (nets.has(definition.id)) throw new YawlError(`Workflow ${definition.id} is defined twice`);
    nets.set(definition.id, net);
  }
  return new MemoryYawlEngine(nets, options.scheduler ?? asyncScheduler);
}

export class MemoryYawlEngine implements YawlEngine {
  readonly events: Observable<YawlEvent>;
  /** Listeners that throw (the bridge's included) cannot break a command or the process. */
  private readonly bus = new Broadcast<YawlEvent>((error, event) => this.listenerFailed(error, event));
  private reportingListenerError = false;
  private readonly cases = new Map<string, Case>();
  private counter = 0;
  /** Events wait here until the outermost command has finished changing state (see `command`). */
  private readonly outbox: YawlEvent[] = [];
  private depth = 0;
  private delivering = false;

  constructor(
    private readonly nets: ReadonlyMap<string, Net>,
    private readonly scheduler: SchedulerLike,
  ) {
    this.events = this.bus.events;
  }

  workflow(workflowId: string): WorkflowDefinition | undefined {
    return this.nets.get(workflowId)?.definition;
  }

  createCase(workflowId: string, data: JsonValue = null, caseId?: string): string {
    assertJson(data, 'data'); // case data is JSON: a cycle, a function or a bigint is named here
    return this.command(() => this.create(workflowId, data, caseId));
  }

  enableTask(caseId: string, taskId: string): void {
    this.command(() => this.start(caseId, taskId));
  }

  completeTask(caseId: string, taskId: string, data: JsonValue = null): void {
    assertJson(data, 'data');
    this.command(() => this.complete(caseId, taskId, data));
  }

  failTask(caseId: string, taskId: string, error?: unknown): void {
    this.command(() => this.fail(caseId, taskId, error));
  }

  /** Cancels a task; an enabled one takes its tokens with it, so its branch ends here. */
  cancelTask(caseId: string, taskId: string): void {
    this.command(() => this.cancel(caseId, taskId));
  }

  cancelCase(caseId: string): void {
    this.command(() => this.cancelAll(caseId));
  }

  /**
   * Runs a command, then delivers the events it caused — never while state is half-changed. A
   * subscriber may issue commands from an event (the bridge does): they run at once, and their events
   * join the queue behind the ones being delivered, so the stream stays in causal order.
   */
  private command<T>(change: () => T): T {
    this.depth++;
    try {
      return change();
    } finally {
      this.depth--;
      if (this.depth === 0 && !this.delivering) {
        this.delivering = true;
        try {
          while (this.outbox.length > 0) this.bus.emit(this.outbox.shift()!);
        } finally {
          this.delivering = false;
        }
      }
    }
  }

  private listenerFailed(error: unknown, event: YawlEvent | undefined): void {
    // One that throws on this report too is dropped; so is a throw outside a delivery.
    if (this.reportingListenerError || event === undefined) return;
    this.reportingListenerError = true;
    try {
      const { caseId, workflowId } = event;
      this.bus.emit({ type: 'engine:listener-failed', caseId, workflowId, at: this.scheduler.now(), error });
    } finally {
      this.reportingListenerError = false;
    }
  }

  private create(workflowId: string, data: JsonValue, caseId: string | undefined): string {
    assertSafeIdentifier(workflowId);
    const net = this.nets.get(workflowId);
    if (!net) throw new YawlError(`No workflow ${workflowId}`);
    const id = caseId ?? `${workflowId}-${++this.counter}`;
    assertSafeIdentifier(id);
    if (this.cases.has(id)) throw new YawlError(`Case ${id} exists already`);
    const state: Case = {
      id,
      net,
      marking: new Map([[net.definition.input, 1]]),
      tasks: new Map(),
      status: 'running',
      stuck: false,
      timers: new Map(),
      children: new Map(),
      parent: undefined,
      // The net's initial values, then what the case was created with (an object's keys).
      data: new Map([
        ...Object.entries(net.definition.variables ?? {}).map(
          ([name, value]) => [name, contentOf(value)] as const,
        ),
        ...valuesOf(data),
      ]),
    };
    this.cases.set(id, state);
    this.emit(state, { type: 'case:created', data });
    this.update(state);
    return id;
  }

  private start(caseId: string, taskId: string): void {
    const state = this.running(caseId);
    const current = this.taskIn(state, taskId, ['enabled', 'failed']);
    if (current === 'enabled') this.consume(state, taskId);
    state.tasks.set(taskId, 'started');
    this.emit(state, { type: 'task:started', taskId });
    this.arm(state, taskId, 'started');
    this.update(state);
  }

  private complete(caseId: string, taskId: string, data: JsonValue): void {
    const state = this.running(caseId);
    this.taskIn(state, taskId, ['started']);
    const task = state.net.tasks.get(taskId)!;
    const outputs = state.net.postset.get(taskId)!;
    // YAWL: the completed mappings update the case data, then the split's predicates read it.
    const updates = this.mapCompletion(state, taskId, data);
    const condition = (flow: FlowDefinition): boolean =>
      this.guarded(taskId, () => holds(flow, data, () => this.caseDocument(state, updates)));
    const chosen =
      task.split === 'and'
        ? outputs
        : task.split === 'or'
          ? this.routeAll(outputs, condition, taskId)
          : [this.route(outputs, condition, taskId)];
    for (const [variable, value] of updates) state.data.set(variable, value);
    state.tasks.delete(taskId);
    this.disarm(state, taskId);
    this.emit(state, { type: 'task:completed', taskId, data });
    // YAWL's exit: the remove set is emptied first, then the outputs are produced — so a task whose
    // region holds its own output condition still passes its token on.
    for (const target of task.cancels ?? []) {
      if (state.tasks.has(target)) this.drop(state, target, 'cancellation-set');
      else state.marking.delete(target);
    }
    for (const { condition } of chosen) state.marking.set(condition, (state.marking.get(condition) ?? 0) + 1);
    this.update(state);
  }

  private fail(caseId: string, taskId: string, error: unknown): void {
    const state = this.running(caseId);
    this.taskIn(state, taskId, ['started']);
    state.tasks.set(taskId, 'failed');
    this.emit(state, { type: 'task:failed', taskId, error });
  }

  private cancel(caseId: string, taskId: string): void {
    const state = this.running(caseId);
    if (this.taskIn(state, taskId, ['enabled', 'started', 'failed']) === 'enabled')
      this.consume(state, taskId);
    this.drop(state, taskId, 'cancelled');
    this.update(state);
  }

  private cancelAll(caseId: string): void {
    const state = this.running(caseId);
    for (const taskId of [...state.tasks.keys()]) this.drop(state, taskId, 'case-cancelled');
    for (const taskId of [...state.timers.keys()]) this.disarm(state, taskId);
    state.status = 'cancelled';
    state.marking.clear();
    this.emit(state, { type: 'case:cancelled' });
  }

  tasks(caseId: string): ReadonlyMap<string, TaskState> {
    return new Map(this.cases.get(caseId)?.tasks ?? []);
  }

  caseStatus(caseId: string): 'running' | 'completed' | 'cancelled' | undefined {
    return this.cases.get(caseId)?.status;
  }

  /**
   * A task's input: its starting mappings (XQuery) over the case data now.
   * @throws YawlError for an unknown case, or a mapping that cannot be evaluated
   */
  taskInput(caseId: string, taskId: string): Readonly<Record<string, string>> {
    const state = this.cases.get(caseId);
    if (!state) throw new YawlError(`No case ${caseId}`);
    const mappings = state.net.tasks.get(taskId)?.starting ?? [];
    if (mappings.length === 0) return {};
    const document = this.caseDocument(state, new Map());
    return Object.fromEntries(
      mappings.map(({ variable, query }) => [
        variable,
        this.guarded(taskId, () => mappedValue(query, document)),
      ]),
    );
  }

  /** A case's data: its net variables, as text (a complex value as its XML content). */
  caseData(caseId: string): Readonly<Record<string, string>> {
    return Object.fromEntries([...(this.cases.get(caseId)?.data ?? [])].map(([k, v]) => [k, shownValue(v)]));
  }

  /**
   * An MI task's instance inputs: its splitting query over the case data now (YAWL's `miDataInput`),
   * each element as JSON; `undefined` for a task without one.
   * @throws YawlError for an unknown case, a query that fails, or a number of instances outside the
   * task's minimum and maximum (YAWL refuses to fire it)
   */
  miInputs(caseId: string, taskId: string): JsonValue[] | undefined {
    const state = this.cases.get(caseId);
    if (!state) throw new YawlError(`No case ${caseId}`);
    const mi = state.net.tasks.get(taskId)?.mi;
    if (!mi?.input) return undefined;
    const document = this.caseDocument(state, new Map());
    return this.guarded(taskId, () => splitMI(mi, document));
  }

  caseWorkflow(caseId: string): string | undefined {
    return this.cases.get(caseId)?.net.definition.id;
  }

  /** Takes one token from each marked preset condition (AND and OR joins) or from the first (XOR join). */
  private consume(state: Case, taskId: string): void {
    const task = state.net.tasks.get(taskId)!;
    const marked = state.net.preset.get(taskId)!.filter((c) => (state.marking.get(c) ?? 0) > 0);
    for (const condition of task.join === 'xor' || task.join === undefined ? marked.slice(0, 1) : marked) {
      const tokens = state.marking.get(condition)! - 1;
      if (tokens === 0) state.marking.delete(condition);
      else state.marking.set(condition, tokens);
    }
  }

  /** An XOR split's branch: the first flow whose `when` holds for `data`, else the default flow. */
  private route(
    outputs: readonly { condition: string; flow: FlowDefinition }[],
    condition: (flow: FlowDefinition) => boolean,
    taskId: string,
  ): { condition: string; flow: FlowDefinition } {
    const matches = outputs.find(({ flow }) => condition(flow));
    const chosen = matches ?? outputs.find(({ flow }) => flow.when === undefined);
    if (!chosen)
      throw new YawlError(
        `Task ${taskId}: no XOR branch matches the completion data and there is no default`,
      );
    return chosen;
  }

  /** An OR split's branches: every flow whose `when` holds for `data`, else the flows without `when`. */
  private routeAll(
    outputs: readonly { condition: string; flow: FlowDefinition }[],
    condition: (flow: FlowDefinition) => boolean,
    taskId: string,
  ): { condition: string; flow: FlowDefinition }[] {
    const matching = outputs.filter(({ flow }) => condition(flow));
    const chosen = matching.length > 0 ? matching : outputs.filter(({ flow }) => flow.when === undefined);
    if (chosen.length === 0)
      throw new YawlError(`Task ${taskId}: no OR branch matches the completion data and there is no default`);
    return chosen;
  }

  /** Enables what the marking now enables, withdraws what it no longer does, and ends the case at its output. */
  private update(state: Case): void {
    const { net } = state;
    if ((state.marking.get(net.definition.output) ?? 0) > 0) {
      for (const taskId of [...state.tasks.keys()]) this.drop(state, taskId, 'case-completed');
      for (const taskId of [...state.timers.keys()]) this.disarm(state, taskId);
      state.status = 'completed';
      this.emit(state, { type: 'case:completed' });
      this.returnToParent(state);
      return;
    }
    for (const [taskId, task] of net.tasks) {
      const preset = net.preset.get(taskId)!;
      const marked = (c: string) => (state.marking.get(c) ?? 0) > 0;
      const enabled =
        task.join === 'and'
          ? preset.every(marked)
          : preset.some(marked) &&
            (task.join !== 'or' || !orJoinMustWait(net, state.marking, state.tasks, taskId));
      const current = state.tasks.get(taskId);
      if (enabled && current === undefined) {
        state.tasks.set(taskId, 'enabled');
        this.emit(state, { type: 'task:enabled', taskId });
        this.arm(state, taskId, 'enabled');
        if (task.subnet !== undefined && this.nets.has(task.subnet))
          this.startComposite(state, taskId, task.subnet);
      } else if (!enabled && current === 'enabled') {
        this.drop(state, taskId, 'withdrawn');
      }
    }
    // Tokens left, yet no task enabled or running: the case can make no progress. Say so once.
    const stuck = state.tasks.size === 0;
    if (stuck && !state.stuck) {
      const marking = Object.fromEntries([...state.marking].filter(([, n]) => n > 0));
      this.emit(state, { type: 'case:stuck', marking });
    }
    state.stuck = stuck;
  }

  /** The net variables a task's completion sets: its completed mappings over its output. */
  private mapCompletion(state: Case, taskId: string, data: JsonValue): Map<string, Content> {
    const { completed, mi } = state.net.tasks.get(taskId)!;
    const updates = new Map<string, Content>();
    // An MI task's completion data is `{ values }`: its output is YAWL's aggregation of them.
    if (mi?.output) {
      const { variable } = mi.output;
      updates.set(
        variable,
        this.guarded(taskId, () => aggregateMI(mi.output!, data)),
      );
      return updates;
    }
    if (!completed || completed.mappings.length === 0) return updates;
    const output = dataDocument(completed.root, valuesOf(data));
    for (const { variable, query } of completed.mappings) {
      updates.set(
        variable,
        this.guarded(taskId, () => mappedContent(query, output)),
      );
    }
    return updates;
  }

  /** The case data as a document (with pending updates), for predicates. */
  private caseDocument(state: Case, updates: ReadonlyMap<string, Content>) {
    return dataDocument(yawlIdOf(state.net.definition.id), new Map([...state.data, ...updates]));
  }

  /** An XPath or XQuery error is a bad completion of this task, not a crash of the engine. */
  private guarded<T>(taskId: string, evaluate: () => T): T {
    try {
      return evaluate();
    } catch (error) {
      throw new YawlError(`Task ${taskId}: ${(error as Error).message.split('\n')[0]!.slice(0, 200)}`);
    }
  }

  /**
   * Starts a task's timer on the engine's scheduler (virtual time in tests), once, when `now` is its
   * trigger. A late-bound timer is read from its net variable; an invalid one is reported (on
   * enabling) and the task runs without it, as YAWL does.
   */
  private arm(state: Case, taskId: string, now: TimerTrigger): void {
    const { timer } = state.net.tasks.get(taskId)!;
    if (!timer || state.timers.has(taskId)) return;
    let resolved: { readonly trigger?: TimerTrigger; readonly at?: number; readonly duration?: string };
    if (timer.variable === undefined) resolved = timer;
    else {
      try {
        resolved = timerFromVariable(state.data.get(timer.variable) ?? '');
      } catch (error) {
        const reason = `timer variable ${timer.variable}: ${(error as Error).message.split('\n')[0]!.slice(0, 200)}`;
        if (now === 'enabled') this.emit(state, { type: 'task:timer-invalid', taskId, reason });
        return;
      }
    }
    if (resolved.trigger !== now) return;
    const start = this.scheduler.now();
    const due =
      resolved.at ??
      (resolved.duration !== undefined ? durationEnd(start, resolved.duration) : start + timer.afterMs!);
    const action = longDelays(this.scheduler).schedule(
      () => {
        state.timers.delete(taskId);
        this.command(() => this.expire(state, taskId));
      },
      Math.max(0, due - start),
    );
    state.timers.set(taskId, action);
  }

  private disarm(state: Case, taskId: string): void {
    state.timers.get(taskId)?.unsubscribe();
    state.timers.delete(taskId);
  }

  /** YAWL's timer expiry: the work item completes as it stands (started first, if only enabled). */
  private expire(state: Case, taskId: string): void {
    const current = state.tasks.get(taskId);
    if (state.status !== 'running' || current === undefined) return;
    if (current === 'enabled') this.consume(state, taskId);
    state.tasks.set(taskId, 'started');
    this.emit(state, { type: 'task:timed-out', taskId });
    this.complete(state.id, taskId, null);
  }

  /**
   * A composite task runs its subnet as a sub-case (`<case>/<task>`), started as soon as the task is
   * enabled — YAWL fires composite tasks by themselves. The task completes when the sub-case does.
   */
  private startComposite(state: Case, taskId: string, subnet: string): void {
    this.consume(state, taskId);
    state.tasks.set(taskId, 'started');
    this.emit(state, { type: 'task:started', taskId });
    let childId = `${state.id}/${taskId}`;
    for (let n = 2; this.cases.has(childId); n++) childId = `${state.id}/${taskId}.${n}`; // a loop ran it before
    state.children.set(taskId, childId);
    this.create(subnet, null, childId);
    const child = this.cases.get(childId)!;
    child.parent = { caseId: state.id, taskId };
    if (child.status === 'completed') this.returnToParent(child);
  }

  /** A sub-case that completed completes its composite task in the parent case. */
  private returnToParent(child: Case): void {
    const { parent } = child;
    if (!parent) return;
    const host = this.cases.get(parent.caseId);
    if (host?.status !== 'running' || host.children.get(parent.taskId) !== child.id) return;
    host.children.delete(parent.taskId);
    if (host.tasks.get(parent.taskId) === 'started') this.complete(host.id, parent.taskId, null);
  }

  private drop(state: Case, taskId: string, reason: CancelReason): void {
    state.tasks.delete(taskId);
    this.disarm(state, taskId);
    // A composite task cancelled (or withdrawn, or its case ended) takes its sub-case with it.
    const child = state.children.get(taskId);
    state.children.delete(taskId);
    if (child !== undefined && this.cases.get(child)?.status === 'running') this.cancelAll(child);
    this.emit(state, { type: 'task:cancelled', taskId, reason });
  }

  private running(caseId: string): Case {
    const state = this.cases.get(caseId);
    if (!state) throw new YawlError(`No case ${caseId}`);
    if (state.status !== 'running') throw new YawlError(`Case ${caseId} is ${state.status}`);
    return state;
  }

  private taskIn(state: Case, taskId: string, allowed: readonly TaskState[]): TaskState {
    if (!state.net.tasks.has(taskId))
      throw new YawlError(`Workflow ${state.net.definition.id} has no task ${taskId}`);
    const current = state.tasks.get(taskId);
    if (current === undefined || !allowed.includes(current)) {
      throw new YawlError(
        `Task ${taskId} of case ${state.id} is ${current ?? 'not enabled'}, not ${allowed.join(' or ')}`,
      );
    }
    return current;
  }

  private emit(state: Case, event: DistributiveOmit<YawlEvent, 'caseId' | 'workflowId' | 'at'>): void {
    this.outbox.push({
      ...event,
      caseId: state.id,
      workflowId: state.net.definition.id,
      at: this.scheduler.now(),
    } as YawlEvent);
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Whether a flow's condition holds for the completion data (a flow without one is the default). */
function holds({ when }: FlowDefinition, data: JsonValue, caseDocument: () => Document): boolean {
  if (when === undefined) return false;
  if ('constant' in when) return when.constant;
  if ('xpath' in when) return predicateHolds(when.xpath, caseDocument());
  return valueAt(data, when.path) === when.equals;
}

function valueAt(data: JsonValue, path: string): unknown {
  let value: unknown = data;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
