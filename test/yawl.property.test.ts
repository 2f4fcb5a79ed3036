import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createMemoryYawlEngine,
  type TaskDefinition,
  type WorkflowDefinition,
  type YawlEvent,
} from 'rxdaemon';
import { testScheduler } from 'rxdaemon/testing';

/** A structured (hence sound) net: tasks composed in sequence, AND, XOR and OR blocks. */
type Block =
  { kind: 'task' } | { kind: 'seq'; parts: Block[] } | { kind: 'and' | 'xor' | 'or'; branches: Block[] };

const block: fc.Arbitrary<Block> = fc.letrec<{ block: Block }>((tie) => ({
  block: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant<Block>({ kind: 'task' }),
    fc.record({
      kind: fc.constant<'seq'>('seq'),
      parts: fc.array(tie('block'), { minLength: 2, maxLength: 3 }),
    }),
    fc.record({
      kind: fc.constantFrom<'and' | 'xor' | 'or'>('and', 'xor', 'or'),
      branches: fc.array(tie('block'), { minLength: 2, maxLength: 3 }),
    }),
  ),
})).block;

/** Compiles a block into tasks; returns the id of its first task. */
function build(b: Block, next: string, tasks: TaskDefinition[], ids: { n: number }): string {
  switch (b.kind) {
    case 'task': {
      const id = `t${ids.n++}`;
      tasks.push({ id, flows: [{ to: next }] });
      return id;
    }
    case 'seq':
      return b.parts.reduceRight((after, part) => build(part, after, tasks, ids), next);
    case 'and':
    case 'xor':
    case 'or': {
      const n = ids.n++;
      const join = `${b.kind}-join-${n}`;
      tasks.push({ id: join, join: b.kind, flows: [{ to: next }] });
      const starts = b.branches.map((branch) => build(branch, join, tasks, ids));
      const split = `${b.kind}-split-${n}`;
      tasks.push({
        id: split,
        split: b.kind,
        flows: starts.map((to, i) =>
          b.kind === 'and' || (b.kind === 'xor' && i === starts.length - 1)
            ? { to } // every branch (AND), or the XOR default
            : { to, when: b.kind === 'xor' ? { path: 'route', equals: i } : { path: `b${i}`, equals: true } },
        ),
      });
      return split;
    }
  }
}

function definitionOf(b: Block): WorkflowDefinition {
  const tasks: TaskDefinition[] = [];
  const first = build(b, 'end', tasks, { n: 0 });
  return {
    id: 'random',
    input: 'start',
    output: 'end',
    conditions: [{ id: 'start', flows: [first] }, { id: 'end' }],
    tasks,
  };
}

/**
 * Plays a case: a random enabled task at a time, completed with random routing data (XOR: `route`;
 * OR splits: branch 0 always, 1 and 2 at random — often several at once), until it ends or no task
 * is enabled.
 */
function playRandomly(
  engine: ReturnType<typeof createMemoryYawlEngine>,
  caseId: string,
  choices: fc.Stream<number>,
): 'completed' | 'no task enabled' | 'still running' {
  for (let steps = 0; engine.caseStatus(caseId) === 'running' && steps < 1000; steps++) {
    const enabled = [...engine.tasks(caseId)].filter(([, state]) => state === 'enabled').map(([id]) => id);
    if (enabled.length === 0) return 'no task enabled';
    const pick = enabled[choices.next().value % enabled.length]!;
    engine.enableTask(caseId, pick);
    const bits = choices.next().value;
    engine.completeTask(caseId, pick, { route: bits % 3, b0: true, b1: (bits & 4) > 0, b2: (bits & 8) > 0 });
  }
  return engine.caseStatus(caseId) === 'completed' ? 'completed' : 'still running';
}

describe('memory YAWL engine properties', () => {
  it('a case of a random AND/XOR/OR net without failures reaches the output and leaves no task behind', () => {
    fc.assert(
      fc.property(block, fc.infiniteStream(fc.nat()), (net, choices) => {
        const engine = createMemoryYawlEngine({ workflows: [definitionOf(net)], scheduler: testScheduler() });
        const events: YawlEvent[] = [];
        engine.events.subscribe((e) => events.push(e));
        const caseId = engine.createCase('random');
        expect(playRandomly(engine, caseId, choices)).toBe('completed'); // never stuck
        expect(engine.caseStatus(caseId)).toBe('completed');
        expect(engine.tasks(caseId).size).toBe(0);
        expect(events.at(-1)).toMatchObject({ type: 'case:completed' });
        expect(events.some((e) => e.type === 'task:cancelled')).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('with random cancellation regions, a case never sits running with no task enabled and no case:stuck event', () => {
    fc.assert(
      fc.property(block, fc.infiniteStream(fc.nat()), (net, choices) => {
        const plain = definitionOf(net);
        // Random remove sets: some tasks empty up to two other tasks and the conditions into them.
        const ids = plain.tasks.map((t) => t.id);
        const tasks = plain.tasks.map((task) => {
          if (choices.next().value % 3 !== 0) return task;
          const targets = [0, 1]
            .map(() => ids[choices.next().value % ids.length]!)
            .filter((id) => id !== task.id);
          const inputs = plain.tasks.flatMap((t) =>
            t.flows.filter((f) => targets.includes(f.to)).map((f) => `${t.id}→${f.to}`),
          );
          return { ...task, cancels: [...new Set([...targets, ...inputs])] };
        });
        const engine = createMemoryYawlEngine({
          workflows: [{ ...plain, tasks }],
          scheduler: testScheduler(),
        });
        let stuck = 0;
        engine.events.subscribe((e) => e.type === 'case:stuck' && stuck++);
        const caseId = engine.createCase('random');
        if (playRandomly(engine, caseId, choices) === 'no task enabled')
          expect(stuck).toBe(1); // said so, once
        else expect(engine.caseStatus(caseId)).toBe('completed');
      }),
      { numRuns: 300 },
    );
  });
});
