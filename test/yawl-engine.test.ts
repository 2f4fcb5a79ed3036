import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  createMemoryYawlEngine,
  InjectionError,
  type WorkflowDefinition,
  type YawlEvent,
  YawlError,
} from 'rxdaemon';
import { testScheduler } from 'rxdaemon/testing';
import { notify } from './fixtures/workflows.js';

const linear: WorkflowDefinition = {
  id: 'linear',
  input: 'start',
  output: 'end',
  conditions: [{ id: 'start', flows: ['a'] }, { id: 'end' }],
  tasks: [
    { id: 'a', flows: [{ to: 'b' }] },
    { id: 'b', flows: [{ to: 'end' }] },
  ],
};

function recorder(workflows: WorkflowDefinition[]) {
  const engine = createMemoryYawlEngine({ workflows, scheduler: testScheduler() });
  const events: string[] = [];
  engine.events.subscribe((e: YawlEvent) =>
    events.push(
      'taskId' in e ? `${e.type} ${e.taskId}${e.type === 'task:cancelled' ? ` (${e.reason})` : ''}` : e.type,
    ),
  );
  return { engine, events };
}

describe('workflow definitions', () => {
  it('rejects an unknown task, no path from start to end and inconsistent MI attributes, naming each', () => {
    const bad: WorkflowDefinition = {
      id: 'bad',
      input: 'start',
      output: 'end',
      conditions: [{ id: 'start', flows: ['a'] }, { id: 'end' }, { id: 'orphan', flows: ['c'] }],
      tasks: [
        { id: 'a', flows: [{ to: 'ghost' }] },
        { id: 'c', flows: [{ to: 'end' }], mi: { minimum: 5, maximum: 2 } },
      ],
    };
    try {
      createMemoryYawlEngine({ workflows: [bad] });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = String(error);
      expect(message).toMatch(/unknown element ghost/);
      expect(message).toMatch(/minimum/);
    }
    const noPath = {
      ...linear,
      id: 'nopath',
      tasks: [
        { id: 'a', flows: [{ to: 'b' }] },
        { id: 'b', flows: [{ to: 'a' }] },
      ],
    };
    expect(() => createMemoryYawlEngine({ workflows: [noPath] })).toThrow(/no path from start to end/);
    expect(() => createMemoryYawlEngine({ workflows: [{ ...linear, id: "x'; DROP TABLE wf;--" }] })).toThrow(
      /Unsafe identifier/,
    );
    expect(() => createMemoryYawlEngine({ workflows: [{ ...linear, tasks: [] }] })).toThrow(ConfigError);
  });

  it('runs a case and rejects commands out of turn with typed errors', () => {
    const { engine, events } = recorder([linear]);
    const caseId = engine.createCase('linear', { order: 1 });
    expect(() => engine.completeTask(caseId, 'a')).toThrow(YawlError);
    expect(() => engine.enableTask(caseId, 'b')).toThrow(/not enabled/);
    expect(() => engine.enableTask(caseId, 'zzz')).toThrow(/no task zzz/);
    expect(() => engine.createCase('nope')).toThrow(YawlError);
    expect(() => engine.createCase('linear', null, '../../etc')).toThrow(InjectionError);
    engine.enableTask(caseId, 'a');
    engine.completeTask(caseId, 'a');
    engine.enableTask(caseId, 'b');
    engine.failTask(caseId, 'b', new Error('flaky'));
    engine.enableTask(caseId, 'b'); // a failed task starts again
    engine.completeTask(caseId, 'b');
    expect(events).toEqual([
      'case:created',
      'task:enabled a',
      'task:started a',
      'task:completed a',
      'task:enabled b',
      'task:started b',
      'task:failed b',
      'task:started b',
      'task:completed b',
      'case:completed',
    ]);
    expect(() => engine.cancelCase(caseId)).toThrow(/completed/);
  });

  it('deferred choice: the first task started withdraws the others', () => {
    const choice: WorkflowDefinition = {
      id: 'choice',
      input: 'start',
      output: 'end',
      conditions: [{ id: 'start', flows: ['paid', 'expired'] }, { id: 'end' }],
      tasks: [
        { id: 'paid', flows: [{ to: 'end' }] },
        { id: 'expired', flows: [{ to: 'end' }] },
      ],
    };
    const { engine, events } = recorder([choice]);
    const caseId = engine.createCase('choice');
    engine.enableTask(caseId, 'expired');
    expect(events).toEqual([
      'case:created',
      'task:enabled paid',
      'task:enabled expired',
      'task:started expired',
      'task:cancelled paid (withdrawn)',
    ]);
  });

  it('a cancellation set withdraws a running branch and empties its conditions', () => {
    const net: WorkflowDefinition = {
      id: 'order',
      input: 'start',
      output: 'end',
      conditions: [{ id: 'start', flows: ['split'] }, { id: 'end' }, { id: 'packed', flows: ['ship'] }],
      tasks: [
        { id: 'split', split: 'and', flows: [{ to: 'pack' }, { to: 'cancel-order' }] },
        { id: 'pack', flows: [{ to: 'packed' }] },
        { id: 'ship', flows: [{ to: 'end' }] },
        { id: 'cancel-order', flows: [{ to: 'end' }], cancels: ['pack', 'packed'] },
      ],
    };
    const { engine, events } = recorder([net]);
    const caseId = engine.createCase('order');
    engine.enableTask(caseId, 'split');
    engine.completeTask(caseId, 'split');
    engine.enableTask(caseId, 'pack');
    engine.enableTask(caseId, 'cancel-order');
    engine.completeTask(caseId, 'cancel-order');
    expect(events.slice(-4)).toEqual([
      'task:started cancel-order',
      'task:completed cancel-order',
      'task:cancelled pack (cancellation-set)',
      'case:completed',
    ]);
    expect(engine.tasks(caseId).size).toBe(0);
  });

  it('XOR split takes the branch whose condition holds, else the default', () => {
    const net: WorkflowDefinition = {
      id: 'xor',
      input: 'start',
      output: 'end',
      conditions: [{ id: 'start', flows: ['check'] }, { id: 'end' }],
      tasks: [
        {
          id: 'check',
          split: 'xor',
          flows: [{ to: 'reject', when: { path: 'credit.ok', equals: false } }, { to: 'accept' }],
        },
        { id: 'reject', flows: [{ to: 'end' }] },
        { id: 'accept', flows: [{ to: 'end' }] },
      ],
    };
    const { engine } = recorder([net]);
    const a = engine.createCase('xor');
    engine.enableTask(a, 'check');
    engine.completeTask(a, 'check', { credit: { ok: false } });
    expect([...engine.tasks(a).keys()]).toEqual(['reject']);
    const b = engine.createCase('xor');
    engine.enableTask(b, 'check');
    engine.completeTask(b, 'check', { credit: { ok: true } });
    expect([...engine.tasks(b).keys()]).toEqual(['accept']);
  });

  it('OR split takes every branch whose condition holds; the OR join waits for exactly those', () => {
    const net = notify;
    const { engine } = recorder([net]);
    const caseId = engine.createCase('or');
    engine.enableTask(caseId, 'split');
    engine.completeTask(caseId, 'split', { email: true, sms: true, letter: false });
    expect([...engine.tasks(caseId).keys()]).toEqual(['email', 'sms']);
    engine.enableTask(caseId, 'email');
    engine.completeTask(caseId, 'email');
    expect(engine.tasks(caseId).has('join')).toBe(false); // sms may still arrive
    engine.enableTask(caseId, 'sms');
    engine.completeTask(caseId, 'sms');
    expect([...engine.tasks(caseId)]).toEqual([['join', 'enabled']]); // letter never will
    engine.enableTask(caseId, 'join');
    engine.completeTask(caseId, 'join');
    expect(engine.caseStatus(caseId)).toBe('completed');
  });
});
