import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { EngineError } from '../errors.js';
import {
  compileWorkflow,
  type FlowDefinition,
  type Routing,
  type TaskDefinition,
  type WorkflowDefinition,
} from './definition.js';
import {
  intervalDuration,
  parseDuration,
  parseExpiry,
  parseTrigger,
  type TimerTrigger,
} from './timer-spec.js';

/** A YAWL specification rxdaemon cannot take: bad XML, or a construct it does not map, by element. */
export class YawlImportError extends EngineError {
  override readonly code = 'YAWL_IMPORT_INVALID' as const;

  constructor(
    readonly element: string,
    readonly reason: string,
  ) {
    super(`YAWL import, ${element}: ${reason}`);
  }
}

/**
 * YAWL ids may hold spaces and other characters rxdaemon's ids refuse; each such character becomes
 * `+` and its UTF-16 code in four hex digits (`Check Order_4` → `Check+0020Order_4`, `+` itself
 * `+002B`), which
 * {@link yawlIdOf} reverses.
 */
export function safeYawlId(id: string): string {
  let safe = '';
  for (const character of id) {
    safe += KEPT.test(character)
      ? character
      : // Each UTF-16 unit of the character (an emoji is two).
        character
          .split('')
          .map((unit) => `+${unit.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`)
          .join('');
  }
  return safe;
}

/** Characters an rxdaemon id may hold as they are. */
const KEPT = /^[\p{L}\p{N}_.:#@/-]$/u;

/** The YAWL id a {@link safeYawlId} stands for. */
export function yawlIdOf(safe: string): string {
  return safe.replace(/\+([0-9A-F]{4})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

type Node = Record<string, unknown>;

/** Elements that may repeat: always arrays, so one and many read alike. */
const REPEATED = new Set([
  'specification',
  'decomposition',
  'condition',
  'task',
  'flowsInto',
  'removesTokens',
  'removesTokensFromFlow',
  'localVariable',
  'inputParam',
  'mapping',
]);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  removeNSPrefix: true, // `xsi:type` is `type`; YAWL's namespace differs between schema versions
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  isArray: (name) => REPEATED.has(name),
});

const ROUTING: Record<string, Routing> = { and: 'and', xor: 'xor', or: 'or' };
/** YAWL writes an unbounded maximum as the largest int. */
const UNBOUNDED = 2147483647;

const text = (value: unknown): string | undefined =>
  typeof value === 'string'
    ? value
    : typeof (value as Node | undefined)?.['#text'] === 'string'
      ? ((value as Node)['#text'] as string)
      : undefined;

const list = (value: unknown): Node[] =>
  Array.isArray(value) ? (value as Node[]) : value === undefined ? [] : [value as Node];

/**
 * Reads a YAWL specification set (the YAWL Editor's XML, schema 2.x–4.0 and the Beta versions) into
 * workflow definitions: one per net — the root net first, then the subnets of composite tasks.
 * Mapped: input, output and explicit conditions; tasks with their join and split codes; `flowsInto`
 * with `isDefaultFlow`, predicate `ordering` and the constant predicates `true()`/`false()`;
 * `removesTokens` and `removesTokensFromFlow` (the implicit condition `from→to`); MI attributes
 * (minimum, maximum — `2147483647` is unbounded — threshold, creation mode) with `miDataInput`
 * (splitting) and `miDataOutput` (aggregation); `decomposesTo` a net as
 * the task's `subnet` (run as a sub-case); timers (OnEnabled / OnExecuting; an ISO 8601 duration,
 * durationparams, an expiry, or a net variable). Ids are
 * made safe reversibly ({@link safeYawlId}).
 *
 * @throws YawlImportError for XML that is not well formed, no specification or root net, and
 * what it cannot map — a work-days-only timer, an unknown join code — naming the element
 * @throws ConfigError when a net it built is not a valid workflow (an element off every path, …)
 */
export function importYawl(xml: string): WorkflowDefinition[] {
  if (typeof xml !== 'string') throw new YawlImportError('document', 'expected the XML as a string');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    const { msg, line } = valid.err;
    throw new YawlImportError('document', `not well-formed XML at line ${line}: ${msg.slice(0, 200)}`);
  }
  let document: Node;
  try {
    document = parser.parse(xml) as Node;
  } catch (error) {
    // Well-formed, but not what the parser will read: a DOCTYPE with external entities, say.
    const why = error instanceof Error ? error.message : String(error);
    throw new YawlImportError('document', `cannot be read: ${why.slice(0, 200)}`);
  }
  const set = document.specificationSet as Node | undefined;
  const specifications = list(set?.specification);
  if (specifications.length === 0) throw new YawlImportError('specificationSet', 'no <specification> in it');
  const definitions: WorkflowDefinition[] = [];
  for (const specification of specifications) {
    const decompositions = list(specification.decomposition);
    const nets = decompositions.filter((d) => d.type === 'NetFactsType');
    const netIds = new Set(nets.map((n) => String(n.id)));
    const root = nets.find((n) => n.isRootNet === 'true');
    if (!root)
      throw new YawlImportError(
        `specification ${String(specification.uri)}`,
        'no root net (isRootNet="true")',
      );
    for (const net of [root, ...nets.filter((n) => n !== root)]) definitions.push(importNet(net, netIds));
  }
  for (const definition of definitions) compileWorkflow(definition);
  return definitions;
}

function importNet(net: Node, netIds: ReadonlySet<string>): WorkflowDefinition {
  const netId = String(net.id);
  const elements = net.processControlElements as Node | undefined;
  if (!elements) throw new YawlImportError(`net ${netId}`, 'no <processControlElements>');
  const input = elements.inputCondition as Node | undefined;
  const output = elements.outputCondition as Node | undefined;
  if (!input || !output)
    throw new YawlImportError(`net ${netId}`, 'needs an inputCondition and an outputCondition');
  const conditionOf = (node: Node) => ({
    id: safeYawlId(String(node.id)),
    flows: list(node.flowsInto).map((flow) => safeYawlId(String((flow.nextElementRef as Node)?.id))),
  });
  // Net variables (and the root net's input parameters) with their initial values: the case data.
  const variables = Object.fromEntries(
    [...list(net.localVariable), ...list(net.inputParam)].map((v) => [
      String(text(v.name) ?? v.name),
      text(v.initialValue) ?? '',
    ]),
  );
  return {
    id: safeYawlId(netId),
    ...(Object.keys(variables).length > 0 ? { variables } : {}),
    input: safeYawlId(String(input.id)),
    output: safeYawlId(String(output.id)),
    conditions: [
      conditionOf(input),
      { id: safeYawlId(String(output.id)) },
      ...list(elements.condition).map(conditionOf),
    ],
    tasks: list(elements.task).map((task) => importTask(task, netId, netIds)),
  };
}

function importTask(task: Node, netId: string, netIds: ReadonlySet<string>): TaskDefinition {
  const id = String(task.id);
  const where = `task ${id} of net ${netId}`;
  const routing = (name: 'join' | 'split'): Routing => {
    const code = String((task[name] as Node | undefined)?.code ?? 'and');
    const mapped = ROUTING[code];
    if (!mapped) throw new YawlImportError(where, `unknown ${name} code "${code.slice(0, 20)}"`);
    return mapped;
  };
  const join = routing('join');
  const split = routing('split');
  const timer = task.timer === undefined ? undefined : importTimer(task.timer as Node, where);
  const flows = list(task.flowsInto)
    .map((flow) => importFlow(flow, split, where))
    .sort((a, b) => a.order - b.order)
    .map(({ flow }) => flow);
  const cancels = [
    ...list(task.removesTokens).map((r) => safeYawlId(String(r.id))),
    ...list(task.removesTokensFromFlow).map((r) => {
      const from = (r.flowSource as Node | undefined)?.id;
      const to = (r.flowDestination as Node | undefined)?.id;
      if (from === undefined || to === undefined)
        throw new YawlImportError(where, 'removesTokensFromFlow needs a flowSource and a flowDestination');
      return `${safeYawlId(String(from))}→${safeYawlId(String(to))}`;
    }),
  ];
  const decomposesTo = (task.decomposesTo as Node | undefined)?.id;
  const subnet =
    decomposesTo !== undefined && netIds.has(String(decomposesTo))
      ? safeYawlId(String(decomposesTo))
      : undefined;
  const mi = String(task.type ?? '').startsWith('MultipleInstance')
    ? importMI(task, String(decomposesTo ?? id), where)
    : undefined;
  const mappingsOf = (element: 'startingMappings' | 'completedMappings') =>
    list((task[element] as Node | undefined)?.mapping).map((mapping) => {
      const query = (mapping.expression as Node | undefined)?.query;
      const variable = text(mapping.mapsTo);
      if (typeof query !== 'string' || variable === undefined)
        throw new YawlImportError(where, `a mapping in ${element} needs an expression query and a mapsTo`);
      return { variable: variable.trim(), query };
    });
  // An MI task's own input and output mappings are its split and aggregation (`mi.input`/`output`).
  const starting = mappingsOf('startingMappings').filter((m) => m.variable !== mi?.input?.variable);
  const mappings = mappingsOf('completedMappings').filter((m) => m.query !== mi?.output?.query);
  const completed = mappings.length > 0 ? { root: String(decomposesTo ?? id), mappings } : undefined;
  return {
    id: safeYawlId(id),
    join,
    split,
    flows,
    ...(cancels.length > 0 ? { cancels } : {}),
    ...(subnet ? { subnet } : {}),
    ...(timer ? { timer } : {}),
    ...(starting.length > 0 ? { starting } : {}),
    ...(completed ? { completed } : {}),
    ...(mi ? { mi } : {}),
  };
}

function importFlow(flow: Node, split: Routing, where: string): { flow: FlowDefinition; order: number } {
  const to = safeYawlId(String((flow.nextElementRef as Node | undefined)?.id ?? ''));
  if (to === '') throw new YawlImportError(where, 'a flowsInto without a nextElementRef');
  const predicate = flow.predicate;
  const order = Number((predicate as Node | undefined)?.ordering ?? 0);
  // An AND split takes every flow. An XOR split's default flow is its last resort, whatever its
  // predicate; an OR split's default flow is taken when no predicate holds — or always, when its own
  // predicate is true().
  const expression = (text(predicate) ?? '').trim();
  const isDefault = flow.isDefaultFlow !== undefined;
  if (split === 'and' || predicate === undefined) return { flow: { to }, order };
  if (isDefault) {
    const always = split === 'or' && expression === 'true()';
    return { flow: always ? { to, when: { constant: true } } : { to }, order };
  }
  if (expression === 'true()') return { flow: { to, when: { constant: true } }, order };
  if (expression === 'false()') return { flow: { to, when: { constant: false } }, order };
  if (expression === '') throw new YawlImportError(`${where}, flow to ${yawlIdOf(to)}`, 'an empty predicate');
  return { flow: { to, when: { xpath: expression } }, order };
}

function importMI(task: Node, root: string, where: string): NonNullable<TaskDefinition['mi']> {
  const number = (name: string): number | undefined => {
    const value = text(task[name]);
    if (value === undefined) return undefined;
    const n = Number(value.trim());
    if (!Number.isInteger(n) || n < 0)
      throw new YawlImportError(where, `<${name}> must be a whole number, got "${value.slice(0, 20)}"`);
    return n;
  };
  const minimum = number('minimum') ?? 1;
  const maximum = number('maximum') ?? UNBOUNDED;
  const threshold = number('threshold');
  const mode = String((task.creationMode as Node | undefined)?.code ?? 'static');
  if (mode !== 'static' && mode !== 'dynamic')
    throw new YawlImportError(where, `unknown creationMode "${mode.slice(0, 20)}"`);
  const queryOf = (parent: Node | undefined, name: string, block: string): string => {
    const query = (parent?.[name] as Node | undefined)?.query;
    if (typeof query !== 'string' || query.trim() === '')
      throw new YawlImportError(where, `<${block}> needs <${name} query="…">`);
    return query;
  };
  const textOf = (parent: Node, name: string, block: string): string => {
    const value = text(parent[name])?.trim();
    if (!value) throw new YawlImportError(where, `<${block}> needs <${name}>`);
    return value;
  };
  const dataInput = task.miDataInput as Node | undefined;
  const dataOutput = task.miDataOutput as Node | undefined;
  const input = dataInput && {
    query: queryOf(dataInput, 'expression', 'miDataInput'),
    splitting: queryOf(dataInput, 'splittingExpression', 'miDataInput'),
    variable: textOf(dataInput, 'formalInputParam', 'miDataInput'),
  };
  const output = dataOutput && {
    root,
    query: queryOf(dataOutput, 'formalOutputExpression', 'miDataOutput'),
    joining: queryOf(dataOutput, 'outputJoiningExpression', 'miDataOutput'),
    variable: textOf(dataOutput, 'resultAppliedToLocalVariable', 'miDataOutput'),
  };
  return {
    minimum,
    maximum: maximum >= UNBOUNDED ? Infinity : maximum,
    ...(threshold !== undefined && threshold < UNBOUNDED ? { threshold } : {}),
    creationMode: mode,
    ...(input ? { input } : {}),
    ...(output ? { output } : {}),
  };
}

/**
 * A task's `<timer>`: a late-bound `<netparam>` (the net variable holding the timer), or a trigger
 * (`OnEnabled`, `OnExecuting`) with a `<duration>` (ISO 8601), `<durationparams>` (ticks of a unit)
 * or an `<expiry>` (epoch ms or `xsd:dateTime`). Years and months are kept as a duration, ended on
 * the calendar when the timer starts; a fixed one becomes `afterMs`.
 */
function importTimer(timer: Node, where: string): NonNullable<TaskDefinition['timer']> {
  const fail = (error: unknown): never => {
    throw new YawlImportError(where, (error as Error).message);
  };
  const variable = text(timer.netparam)?.trim();
  if (variable) return { variable };
  if (timer.workdays !== undefined)
    throw new YawlImportError(where, 'a timer counting work days only needs a work calendar: not supported');
  let trigger: TimerTrigger;
  try {
    trigger = parseTrigger(text(timer.trigger));
  } catch (error) {
    return fail(error);
  }
  const expiry = text(timer.expiry);
  if (expiry !== undefined) {
    try {
      const due = parseExpiry(expiry);
      return 'at' in due ? { trigger, at: due.at } : fromDuration(trigger, due.duration);
    } catch (error) {
      return fail(error);
    }
  }
  const duration = text(timer.duration)?.trim();
  if (duration !== undefined) {
    if (!parseDuration(duration))
      throw new YawlImportError(where, `not an ISO 8601 duration: "${duration.slice(0, 30)}"`);
    return fromDuration(trigger, duration);
  }
  const params = timer.durationparams as Node | undefined;
  if (params !== undefined) {
    try {
      return fromDuration(trigger, intervalDuration(text(params.ticks), text(params.interval)));
    } catch (error) {
      return fail(error);
    }
  }
  throw new YawlImportError(where, 'a timer needs a duration, durationparams, an expiry or a netparam');
}

/** A duration without years or months is a fixed number of ms; with them, it ends on the calendar. */
function fromDuration(trigger: TimerTrigger, duration: string): NonNullable<TaskDefinition['timer']> {
  const parts = parseDuration(duration)!;
  return parts.years === 0 && parts.months === 0 ? { trigger, afterMs: parts.ms } : { trigger, duration };
}
