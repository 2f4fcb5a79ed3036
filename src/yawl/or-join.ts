import type { Net } from './definition.js';
import type { TaskState } from './engine.js';

/** Tokens per condition the search keeps apart: more only repeats what two can do. */
const TOKEN_CAP = 2;
/** Markings the search visits at most before falling back to the structural answer. */
const STATE_LIMIT = 20_000;

interface SearchState {
  readonly marking: ReadonlyMap<string, number>;
  /** Started (or failed, to be retried) tasks: each will complete and produce its outputs. */
  readonly busy: ReadonlySet<string>;
}

const keyOf = ({ marking, busy }: SearchState): string =>
  [
    ...[...marking]
      .filter(([, n]) => n > 0)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([c, n]) => `${c}=${n}`),
    '|',
    ...[...busy].sort(),
  ].join(',');

/**
 * Whether an OR-join must go on waiting: can a token still reach one of its empty input conditions?
 * Answered by a search over the markings reachable from the case's state without firing the join —
 * the decision YAWL's engine makes by reset-net coverability (Wynn, van der Aalst, ter Hofstede &
 * Edmond, 2009): cancellation regions remove tokens and withdraw tasks, an AND-join fires only with
 * every input marked, started tasks will complete, XOR splits branch one way at a time. Other
 * OR-joins are taken to fire on any marked input and OR splits to take every branch (both
 * over-approximate what can reach the join, as YAWL's analysis does). Token counts are capped at 2,
 * so the search is finite; past 20,000 markings it falls back to a structural walk.
 */
export function orJoinMustWait(
  net: Net,
  marking: ReadonlyMap<string, number>,
  tasks: ReadonlyMap<string, TaskState>,
  orJoin: string,
): boolean {
  const inputs = net.preset.get(orJoin)!;
  const empty = inputs.filter((c) => (marking.get(c) ?? 0) === 0);
  if (empty.length === 0) return false;
  const start: SearchState = {
    marking: new Map([...marking].map(([c, n]) => [c, Math.min(n, TOKEN_CAP)])),
    busy: new Set([...tasks].filter(([, s]) => s !== 'enabled').map(([t]) => t)),
  };
  const seen = new Set<string>([keyOf(start)]);
  const queue: SearchState[] = [start];
  while (queue.length > 0) {
    if (seen.size > STATE_LIMIT) return structurallyReachable(net, marking, tasks, orJoin);
    const state = queue.shift()!;
    for (const next of successors(net, state, orJoin)) {
      if (empty.some((c) => (next.marking.get(c) ?? 0) > 0)) return true;
      const key = keyOf(next);
      if (!seen.has(key)) {
        seen.add(key);
        queue.push(next);
      }
    }
  }
  return false;
}

/** Every state one task's firing (or a busy task's completion) leads to. */
function* successors(net: Net, state: SearchState, orJoin: string): Generator<SearchState> {
  for (const task of state.busy) {
    const busy = new Set(state.busy);
    busy.delete(task);
    yield* completions(net, task, new Map(state.marking), busy);
  }
  for (const [taskId, task] of net.tasks) {
    if (taskId === orJoin || state.busy.has(taskId)) continue;
    const preset = net.preset.get(taskId)!;
    const marked = preset.filter((c) => (state.marking.get(c) ?? 0) > 0);
    if (marked.length === 0 || (task.join === 'and' && marked.length < preset.length)) continue;
    // An XOR join takes one token from one of its marked inputs: each choice is a branch.
    const takes = task.join === 'and' || task.join === 'or' ? [marked] : marked.map((c) => [c]);
    for (const taken of takes) {
      const after = new Map(state.marking);
      for (const c of taken) after.set(c, after.get(c)! - 1);
      yield* completions(net, taskId, after, state.busy);
    }
  }
}

/** A task's exit as YAWL does it: its remove set first, then its outputs (one state per XOR branch). */
function* completions(
  net: Net,
  taskId: string,
  marking: Map<string, number>,
  busy: ReadonlySet<string>,
): Generator<SearchState> {
  const task = net.tasks.get(taskId)!;
  const remaining = new Set(busy);
  for (const target of task.cancels ?? []) {
    if (net.tasks.has(target)) remaining.delete(target);
    else marking.delete(target);
  }
  const outputs = net.postset.get(taskId)!;
  const branches = task.split === 'xor' ? outputs.map((o) => [o]) : [outputs];
  for (const branch of branches) {
    const after = new Map(marking);
    for (const { condition } of branch)
      after.set(condition, Math.min((after.get(condition) ?? 0) + 1, TOKEN_CAP));
    yield { marking: after, busy: remaining };
  }
}

/**
 * The structural answer (the engine's earlier rule): walking backwards from the join's empty inputs,
 * is there a marked condition or a busy task? It ignores AND-joins that can never fire, so it may
 * wait where the search would not: used only when the search is too large.
 */
function structurallyReachable(
  net: Net,
  marking: ReadonlyMap<string, number>,
  tasks: ReadonlyMap<string, TaskState>,
  orJoin: string,
): boolean {
  const seen = new Set<string>([orJoin]);
  const pending = net.preset.get(orJoin)!.filter((c) => (marking.get(c) ?? 0) === 0);
  while (pending.length > 0) {
    const condition = pending.pop()!;
    if (seen.has(condition)) continue;
    seen.add(condition);
    if ((marking.get(condition) ?? 0) > 0) return true;
    for (const task of net.producers.get(condition) ?? []) {
      if (seen.has(task)) continue;
      seen.add(task);
      if (tasks.has(task)) return true;
      pending.push(...net.preset.get(task)!);
    }
  }
  return false;
}
