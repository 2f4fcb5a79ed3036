import { describe, expect, it } from 'vitest';
import { ConfigError, createMemoryYawlEngine, type WorkflowDefinition, type YawlEvent } from 'rxdaemon';
import { testScheduler } from 'rxdaemon/testing';

/** An engine on a virtual clock, and its events as short strings (the marble tests' reading). */
function run(workflow: WorkflowDefinition) {
  const engine = createMemoryYawlEngine({ workflows: [workflow], scheduler: testScheduler() });
  const events: string[] = [];
  const stuck: YawlEvent[] = [];
  engine.events.subscribe((e: YawlEvent) => {
    if (e.type === 'case:stuck') stuck.push(e);
    events.push(
      'taskId' in e ? `${e.type} ${e.taskId}${e.type === 'task:cancelled' ? ` (${e.reason})` : ''}` : e.type,
    );
  });
  const caseId = engine.createCase(workflow.id);
  const finish = (...taskIds: string[]) => {
    for (const taskId of taskIds) {
      engine.enableTask(caseId, taskId);
      engine.completeTask(caseId, taskId);
    }
  };
  return { engine, caseId, events, stuck, finish };
}

/**
 * YAWL's cancellation pattern with an OR-join behind it: `split` starts three branches; `b` feeds an
 * AND-join `sync` that also needs `c`; `d` cancels `c` (and its token). `sync` can then never fire —
 * the token `b` left in front of it cannot reach `merge` — so the OR-join must fire on `d`'s branch.
 */
const orJoinAfterCancellation: WorkflowDefinition = {
  id: 'or_join_after_cancellation',
  input: 'start',
  output: 'end',
  conditions: [{ id: 'start', flows: ['split'] }, { id: 'end' }],
  tasks: [
    { id: 'split', split: 'and', flows: [{ to: 'b' }, { to: 'c' }, { to: 'd' }] },
    { id: 'b', flows: [{ to: 'sync' }] },
    { id: 'c', flows: [{ to: 'sync' }] },
    { id: 'd', flows: [{ to: 'merge' }], cancels: ['c', 'split→c'] },
    { id: 'sync', join: 'and', flows: [{ to: 'merge' }] },
    { id: 'merge', join: 'or', flows: [{ to: 'end' }] },
  ],
};

describe("YAWL's semantics in the memory engine", () => {
  it('an OR-join after a cancellation region fires once no token can reach its empty inputs (an AND-join that can never fire)', () => {
    const { engine, caseId, events, finish } = run(orJoinAfterCancellation);
    finish('split', 'b');
    expect(engine.tasks(caseId).get('merge')).toBeUndefined(); // c may still come: sync may fire
    finish('d');
    expect(events).toContain('task:cancelled c (cancellation-set)');
    expect(engine.tasks(caseId).get('merge')).toBe('enabled');
    finish('merge');
    expect(engine.caseStatus(caseId)).toBe('completed');
  });

  it('the OR-join still waits while the AND-join can fire', () => {
    const { engine, caseId, finish } = run(orJoinAfterCancellation);
    finish('split', 'd');
    // d cancelled c: sync can never fire, and b's branch leads only to sync: merge may fire now.
    expect(engine.tasks(caseId).get('merge')).toBe('enabled');
    const second = run(orJoinAfterCancellation);
    second.finish('split', 'b', 'c');
    expect(second.engine.tasks(second.caseId).get('sync')).toBe('enabled');
    expect(second.engine.tasks(second.caseId).get('merge')).toBeUndefined(); // d's branch is still live
    second.finish('sync');
    expect(second.engine.tasks(second.caseId).get('merge')).toBeUndefined(); // d may still come
    second.finish('d');
    expect(second.engine.tasks(second.caseId).get('merge')).toBe('enabled');
  });

  it("a task's remove set is emptied before its outputs are produced: one holding its own output condition passes its token on", () => {
    const selfCleaning: WorkflowDefinition = {
      id: 'self_cleaning',
      input: 'start',
      output: 'end',
      conditions: [{ id: 'start', flows: ['a'] }, { id: 'ready', flows: ['b'] }, { id: 'end' }],
      tasks: [
        { id: 'a', flows: [{ to: 'ready' }], cancels: ['ready'] },
        { id: 'b', flows: [{ to: 'c' }] },
        { id: 'c', flows: [{ to: 'end' }], cancels: ['b→c'] }, // an implicit condition, its own input
      ],
    };
    const { engine, caseId, stuck, finish } = run(selfCleaning);
    finish('a');
    expect(engine.tasks(caseId).get('b')).toBe('enabled');
    finish('b', 'c');
    expect(engine.caseStatus(caseId)).toBe('completed');
    expect(stuck).toEqual([]);
  });

  it('an implicit condition between two tasks can be emptied by a remove set (removesTokensFromFlow)', () => {
    const flowRemoval: WorkflowDefinition = {
      id: 'flow_removal',
      input: 'start',
      output: 'end',
      conditions: [{ id: 'start', flows: ['s'] }, { id: 'end' }],
      tasks: [
        { id: 's', split: 'and', flows: [{ to: 't1' }, { to: 't2' }] },
        { id: 't1', flows: [{ to: 't3' }] },
        { id: 't2', flows: [{ to: 't4' }], cancels: ['t1→t3'] },
        { id: 't3', flows: [{ to: 'end' }] },
        { id: 't4', flows: [{ to: 'end' }] },
      ],
    };
    const { engine, caseId, events, finish } = run(flowRemoval);
    finish('s', 't1');
    expect(engine.tasks(caseId).get('t3')).toBe('enabled');
    finish('t2');
    expect(events).toContain('task:cancelled t3 (withdrawn)');
    finish('t4');
    expect(engine.caseStatus(caseId)).toBe('completed');
    expect(() =>
      createMemoryYawlEngine({
        workflows: [
          {
            ...flowRemoval,
            tasks: flowRemoval.tasks.map((t) => (t.id === 't2' ? { ...t, cancels: ['t1→t9'] } : t)),
          },
        ],
      }),
    ).toThrow(ConfigError);
  });

  it('a case that can make no progress says so (case:stuck) instead of sitting running silently', () => {
    const deadEnd: WorkflowDefinition = {
      id: 'dead_end',
      input: 'start',
      output: 'end',
      conditions: [{ id: 'start', flows: ['a'] }, { id: 'end' }],
      tasks: [
        { id: 'a', split: 'and', flows: [{ to: 'b' }, { to: 'c' }] },
        { id: 'b', flows: [{ to: 'j' }], cancels: ['c', 'a→c'] },
        { id: 'c', flows: [{ to: 'j' }] },
        { id: 'j', join: 'and', flows: [{ to: 'end' }] },
      ],
    };
    const { engine, caseId, stuck, finish } = run(deadEnd);
    finish('a', 'b');
    expect(engine.caseStatus(caseId)).toBe('running');
    expect(stuck).toHaveLength(1);
    expect(stuck[0]).toMatchObject({ type: 'case:stuck', caseId, marking: { 'b→j': 1 } });
    engine.cancelCase(caseId);
    expect(engine.caseStatus(caseId)).toBe('cancelled');
  });
});
