import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { fromYawlAttributes, type YawlMIAttributes } from '../instances/yawl-attributes.js';
import { assertSafeIdentifier } from '../security/injection.js';
import { parseDuration, type TimerTrigger } from './timer-spec.js';

/**
 * How a task combines its incoming branches (join) or chooses its outgoing ones (split). An OR join
 * waits until no token can still reach one of its empty incoming conditions; an OR split takes every
 * flow whose `when` holds (the flows without `when` if none does).
 */
export type Routing = 'and' | 'xor' | 'or';

/** An outgoing flow; on an XOR split the first whose `when` matches the completion data is taken. */
export interface FlowDefinition {
  readonly to: string;
  /**
   * Taken when the completion data has `path` equal to `equals`, or always (`constant: true`, YAWL's
   * `true()`) or never (`false()`); a flow without `when` is the default.
   */
  readonly when?:
    | { readonly path: string; readonly equals: string | number | boolean | null }
    | { readonly constant: boolean }
    /** A YAWL predicate: XPath over the case data, `<net><variable>value</variable>…</net>`. */
    | { readonly xpath: string };
}

export interface TaskDefinition {
  readonly id: string;
  readonly join?: Routing;
  readonly split?: Routing;
  /** Where tokens go when it completes: condition ids, or task ids (an implicit condition between). */
  readonly flows: readonly FlowDefinition[];
  /**
   * YAWL remove set: tasks withdrawn/cancelled and conditions emptied when this task completes —
   * before its outputs are produced. The implicit condition between two tasks is `from→to`.
   */
  readonly cancels?: readonly string[];
  /**
   * A composite task's subnet: the id of the workflow it decomposes to. The memory engine fires the
   * task by itself once enabled and runs the subnet as the sub-case `<case>/<task>`; the task
   * completes when the sub-case does, and cancelling the task cancels the sub-case.
   */
  readonly subnet?: string;
  /**
   * YAWL timer: from when the task is enabled (`enabled`, OnEnabled) or started (`started`,
   * OnExecuting), after `afterMs`, after an ISO 8601 `duration` (years and months by the UTC
   * calendar) or at the absolute time `at` (scheduler ms), the task times out — it is completed as
   * it stands (`task:timed-out`, then `task:completed`) and the case goes on. A late-bound timer
   * names instead the net `variable` whose value (YAWL's `YTimerType`:
   * `<trigger>OnEnabled</trigger><expiry>PT5M</expiry>`) gives both, read when the task is enabled.
   */
  readonly timer?: {
    readonly trigger?: TimerTrigger;
    readonly afterMs?: number;
    readonly duration?: string;
    readonly at?: number;
    readonly variable?: string;
  };
  /**
   * YAWL starting mappings: each XQuery runs over the case data, and its string value is the task's
   * input variable of that name (`TaskHandlerContext.input`).
   */
  readonly starting?: readonly { readonly variable: string; readonly query: string }[];
  /**
   * YAWL completed mappings: each XQuery runs over the task's output — the completion data as
   * `<root><key>value</key>…</root>` — and its string value becomes the net variable's.
   */
  readonly completed?: {
    readonly root: string;
    readonly mappings: readonly { readonly variable: string; readonly query: string }[];
  };
  /** A multiple-instance task's attributes, and where its instances' data come from and go. */
  readonly mi?: {
    readonly minimum: number;
    readonly maximum: number;
    readonly threshold?: number;
    readonly creationMode?: 'static' | 'dynamic';
    /**
     * YAWL's `miDataInput`: `query` (XQuery over the case data) gives the element to split,
     * `splitting` (over a document of that element) one element per instance — the instance's
     * input, as JSON (`elementToJson`), the task's `variable` in YAWL.
     */
    readonly input?: { readonly query: string; readonly splitting: string; readonly variable: string };
    /**
     * YAWL's `miDataOutput`: each completed instance's value, as the document
     * `<root>…</root>`, gives one element through `query`; those elements, grouped under `<root>`,
     * go through `joining`, whose element becomes the net variable `variable`.
     */
    readonly output?: {
      readonly root: string;
      readonly query: string;
      readonly joining: string;
      readonly variable: string;
    };
  };
}

export interface WorkflowDefinition {
  readonly id: string;
  /** Net variables and their initial values: the case data that YAWL predicates read. */
  readonly variables?: Readonly<Record<string, string>>;
  /** Conditions (places) besides the implicit ones between two tasks; the input and output are here. */
  readonly conditions: readonly { readonly id: string; readonly flows?: readonly string[] }[];
  readonly input: string;
  readonly output: string;
  readonly tasks: readonly TaskDefinition[];
}

const identifier = z.string().min(1);
const query = z.string().min(1);
const schema = z.strictObject({
  id: identifier,
  variables: z.record(z.string(), z.string()).optional(),
  input: identifier,
  output: identifier,
  conditions: z.array(z.strictObject({ id: identifier, flows: z.array(identifier).optional() })),
  tasks: z
    .array(
      z.strictObject({
        id: identifier,
        join: z.enum(['and', 'xor', 'or']).optional(),
        split: z.enum(['and', 'xor', 'or']).optional(),
        flows: z.array(
          z.strictObject({
            to: identifier,
            when: z
              .union([
                z.strictObject({
                  path: z.string().min(1),
                  equals: z.union([z.string(), z.number(), z.boolean(), z.null()]),
                }),
                z.strictObject({ constant: z.boolean() }),
                z.strictObject({ xpath: z.string().min(1) }),
              ])
              .optional(),
          }),
        ),
        cancels: z.array(identifier).optional(),
        subnet: identifier.optional(),
        starting: z
          .array(z.strictObject({ variable: z.string().min(1), query: z.string().min(1) }))
          .optional(),
        completed: z
          .strictObject({
            root: z.string().min(1),
            mappings: z.array(z.strictObject({ variable: z.string().min(1), query: z.string().min(1) })),
          })
          .optional(),
        timer: z
          .strictObject({
            trigger: z.enum(['enabled', 'started']).optional(),
            afterMs: z.number().finite().nonnegative().optional(),
            duration: z
              .string()
              .refine((d) => parseDuration(d) !== undefined, { message: 'must be an ISO 8601 duration' })
              .optional(),
            at: z.number().finite().optional(),
            variable: z.string().min(1).optional(),
          })
          .refine(
            (t) =>
              t.variable !== undefined
                ? t.trigger === undefined &&
                  t.afterMs === undefined &&
                  t.at === undefined &&
                  t.duration === undefined
                : t.trigger !== undefined &&
                  [t.afterMs, t.at, t.duration].filter((v) => v !== undefined).length === 1,
            { message: 'give a trigger and one of afterMs, duration or at — or a variable alone' },
          )
          .optional(),
        mi: z
          .strictObject({
            minimum: z.number(),
            maximum: z.union([z.number(), z.literal(Infinity)]), // unbounded (YAWL's 2147483647)
            threshold: z.number().optional(),
            creationMode: z.enum(['static', 'dynamic']).optional(),
            input: z.strictObject({ query: query, splitting: query, variable: query }).optional(),
            output: z.strictObject({ root: query, query: query, joining: query, variable: query }).optional(),
          })
          .optional(),
      }),
    )
    .min(1),
});

/** A validated net: every element, arc and set resolved. */
export interface Net {
  readonly definition: WorkflowDefinition;
  readonly tasks: ReadonlyMap<string, TaskDefinition>;
  /** Preset and postset of every task, as condition ids (implicit ones named `from→to`). */
  readonly preset: ReadonlyMap<string, readonly string[]>;
  readonly postset: ReadonlyMap<
    string,
    readonly { readonly condition: string; readonly flow: FlowDefinition }[]
  >;
  /** For each condition, the tasks it feeds. */
  readonly consumers: ReadonlyMap<string, readonly string[]>;
  /** For each condition, the tasks that put tokens in it. */
  readonly producers: ReadonlyMap<string, readonly string[]>;
}

/**
 * Validates a workflow definition and resolves it into a net.
 * @throws ConfigError naming every problem: bad shape, unsafe or duplicate ids, unknown elements,
 * elements off every path from input to output, inconsistent MI attributes
 */
export function compileWorkflow(definition: WorkflowDefinition): Net {
  const parsed = schema.safeParse(definition);
  const subject = `workflow ${JSON.stringify((definition as { id?: unknown })?.id ?? '?')}`;
  if (!parsed.success) {
    const fields = parsed.error.issues.map((i) => i.path.join('.') || '(root)');
    throw new ConfigError(
      subject,
      [...new Set(fields)],
      parsed.error.issues.map((i, n) => `${fields[n]}: ${i.message}`),
    );
  }
  const problems: [string, string][] = [];
  const problem = (field: string, detail: string) => problems.push([field, detail]);
  const ids = [
    definition.id,
    ...definition.conditions.map((c) => c.id),
    ...definition.tasks.map((t) => t.id),
  ];
  for (const id of ids) {
    try {
      assertSafeIdentifier(id);
    } catch (error) {
      problem('id', (error as Error).message);
    }
  }
  const conditionIds = new Set(definition.conditions.map((c) => c.id));
  const tasks = new Map(definition.tasks.map((t) => [t.id, t]));
  const seen = new Set<string>();
  for (const id of ids.slice(1)) {
    if (seen.has(id)) problem('id', `${id} is defined twice`);
    seen.add(id);
  }
  if (!conditionIds.has(definition.input))
    problem('input', `input condition ${definition.input} is not among the conditions`);
  if (!conditionIds.has(definition.output))
    problem('output', `output condition ${definition.output} is not among the conditions`);

  const preset = new Map<string, string[]>(definition.tasks.map((t) => [t.id, []]));
  const postset = new Map<string, { condition: string; flow: FlowDefinition }[]>(
    definition.tasks.map((t) => [t.id, []]),
  );
  const consumers = new Map<string, string[]>([...conditionIds].map((c) => [c, []]));
  for (const condition of definition.conditions) {
    for (const to of condition.flows ?? []) {
      if (!tasks.has(to))
        problem('conditions', `condition ${condition.id} flows to ${to}, which is not a task`);
      else {
        consumers.get(condition.id)!.push(to);
        preset.get(to)!.push(condition.id);
      }
    }
  }
  for (const task of definition.tasks) {
    for (const flow of task.flows) {
      if (conditionIds.has(flow.to)) postset.get(task.id)!.push({ condition: flow.to, flow });
      else if (tasks.has(flow.to)) {
        const implicit = `${task.id}→${flow.to}`;
        consumers.set(implicit, [flow.to]);
        postset.get(task.id)!.push({ condition: implicit, flow });
        preset.get(flow.to)!.push(implicit);
      } else problem(`tasks.${task.id}.flows`, `task ${task.id} flows to unknown element ${flow.to}`);
    }
    if (task.mi) {
      try {
        fromYawlAttributes(yawlAttributes(task.mi));
      } catch (error) {
        problem(`tasks.${task.id}.mi`, `task ${task.id}: ${(error as Error).message}`);
      }
    }
    if (task.flows.length === 0) problem(`tasks.${task.id}.flows`, `task ${task.id} has no outgoing flow`);
    else if (task.split === 'xor' && task.flows.every((flow) => flow.when !== undefined)) {
      // As in YAWL, an XOR split needs a default flow, or data matching no branch would leave the
      // task with nowhere to go. (An OR split without a match fails its task at completion.)
      problem(
        `tasks.${task.id}.flows`,
        `task ${task.id}: an XOR split needs a default flow (one without \`when\`)`,
      );
    }
  }
  // Remove sets may name implicit conditions (`from→to`, YAWL's removesTokensFromFlow): checked
  // once every flow has made its own.
  for (const task of definition.tasks) {
    for (const target of task.cancels ?? []) {
      if (!tasks.has(target) && !consumers.has(target)) {
        problem(`tasks.${task.id}.cancels`, `task ${task.id} cancels unknown element ${target}`);
      }
    }
  }
  if (consumers.get(definition.output)?.length)
    problem('output', `output condition ${definition.output} must not flow anywhere`);
  const producers = new Map<string, string[]>();
  for (const [task, outs] of postset) {
    for (const { condition } of outs) producers.set(condition, [...(producers.get(condition) ?? []), task]);
  }
  if (problems.length === 0) checkPaths(definition, preset, postset, consumers, producers, problem);
  if (problems.length > 0) {
    throw new ConfigError(
      subject,
      [...new Set(problems.map(([f]) => f))],
      problems.map(([, d]) => d),
    );
  }
  return { definition, tasks, preset, postset, consumers, producers };
}

/** Every element must lie on a path from the input condition to the output condition. */
function checkPaths(
  definition: WorkflowDefinition,
  preset: Map<string, string[]>,
  postset: Map<string, { condition: string }[]>,
  consumers: Map<string, string[]>,
  producers: Map<string, string[]>,
  problem: (field: string, detail: string) => void,
): void {
  const forward = new Set<string>();
  const visit = (node: string): void => {
    if (forward.has(node)) return;
    forward.add(node);
    for (const task of consumers.get(node) ?? []) visit(task);
    for (const { condition } of postset.get(node) ?? []) visit(condition);
  };
  visit(definition.input);
  const backward = new Set<string>();
  const back = (node: string): void => {
    if (backward.has(node)) return;
    backward.add(node);
    for (const task of producers.get(node) ?? []) back(task);
    for (const condition of preset.get(node) ?? []) back(condition);
  };
  back(definition.output);
  if (!forward.has(definition.output))
    problem('output', `no path from ${definition.input} to ${definition.output}`);
  for (const task of definition.tasks) {
    if (!forward.has(task.id))
      problem(`tasks.${task.id}`, `task ${task.id} cannot be reached from ${definition.input}`);
    else if (!backward.has(task.id))
      problem(`tasks.${task.id}`, `task ${task.id} has no path to ${definition.output}`);
  }
}

/** The YAWL attributes of an MI task's definition (without its data queries). */
export function yawlAttributes(mi: NonNullable<TaskDefinition['mi']>): YawlMIAttributes {
  const { input: _input, output: _output, ...attributes } = mi;
  return attributes;
}
