import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  createDaemon,
  createMemoryYawlEngine,
  importYawl,
  type InstanceContext,
  type JsonValue,
  type WorkflowDefinition,
  YawlBridge,
  type YawlEvent,
  yawlIdOf,
} from 'rxdaemon';
import { sleep } from './support.js';

const workflows = importYawl(
  readFileSync(new URL('./fixtures/yawl/signoff-mi.yawl', import.meta.url), 'utf8'),
);

/**
 * Runs one Contract case through a bridge whose only handler is the MI task's instance handler;
 * the other tasks are completed by hand as they are enabled.
 */
async function signOff(
  data: JsonValue,
  sign: (name: JsonValue, bridge: YawlBridge, context: InstanceContext) => JsonValue | Promise<JsonValue>,
  definitions: WorkflowDefinition[] = workflows,
) {
  const engine = createMemoryYawlEngine({ workflows: definitions });
  const daemon = createDaemon();
  daemon.start();
  const inputs: JsonValue[] = [];
  const bridge: YawlBridge = new YawlBridge({
    daemon,
    engine,
    miHandlers: {
      Sign_off_3: (name, context) => {
        inputs.push(name);
        return sign(name, bridge, context);
      },
    },
  });
  const events: string[] = [];
  const done = new Promise<void>((resolve) =>
    engine.events.subscribe((e: YawlEvent) => {
      events.push('taskId' in e ? `${e.type} ${yawlIdOf(e.taskId)}` : e.type);
      if (e.type === 'task:enabled' && e.taskId !== 'Sign_off_3') {
        engine.enableTask(e.caseId, e.taskId);
        engine.completeTask(e.caseId, e.taskId);
      }
      if (e.type === 'case:completed' || e.type === 'case:stuck' || e.type === 'task:failed') resolve();
    }),
  );
  const caseId = engine.createCase('Contract', data, 'c1');
  await done;
  await daemon.stop({ drainMs: 100 });
  return { engine, bridge, caseId, inputs, events, status: engine.caseStatus(caseId) };
}

describe('MI tasks from case data (miDataInput / miDataOutput)', () => {
  it('imports the split and aggregation queries of an MI task', () => {
    expect(workflows[0]!.tasks[0]!.mi).toEqual({
      minimum: 1,
      maximum: 4,
      threshold: 10,
      creationMode: 'dynamic',
      input: {
        query: '<signatories>{/Contract/signatories/*}</signatories>',
        splitting: 'for $n in /signatories/* return $n',
        variable: 'name',
      },
      output: {
        root: 'Sign_off',
        query: '/Sign_off/signature',
        joining: '<signatures>{for $s in /Sign_off/signature return $s}</signatures>',
        variable: 'signatures',
      },
    });
    // The MI task's own mappings are its split and aggregation, not ordinary ones.
    expect(workflows[0]!.tasks[0]!.starting).toBeUndefined();
    expect(workflows[0]!.tasks[0]!.completed).toBeUndefined();
    expect(workflows[0]!.variables?.signatories).toBe('<name>Ann</name><name>Bob</name><name>Cy</name>');
  });

  it('runs by itself when enabled: one instance per element of the split, the signatures aggregated into the case data, which the XOR predicate then reads', async () => {
    const run = await signOff(null, (name) => sleep(5, { signature: `signed by ${String(name)}` }));
    expect(run.status).toBe('completed');
    expect(run.inputs.sort()).toEqual(['Ann', 'Bob', 'Cy']);
    expect(run.engine.caseData(run.caseId).signatures).toBe(
      '<signature>signed by Ann</signature><signature>signed by Bob</signature><signature>signed by Cy</signature>',
    );
    expect(run.events).toContain('task:completed Archive_5');
    expect(run.events).not.toContain('task:enabled Escalate_6');
  });

  it('the other path: two signatories from the data the case was created with → the default flow', async () => {
    const run = await signOff({ signatories: { name: ['Dee', 'Eve'] } }, (name) => ({
      signature: String(name).toUpperCase(),
    }));
    expect(run.status).toBe('completed');
    expect(run.inputs.sort()).toEqual(['Dee', 'Eve']);
    expect(run.engine.caseData(run.caseId).signatures).toBe(
      '<signature>DEE</signature><signature>EVE</signature>',
    );
    expect(run.events).toContain('task:completed Escalate_6');
  });

  it('dynamic creation: an instance adds a sibling while it runs (YAWL t_add); the task completes when all four complete (threshold 10 > maximum 4)', async () => {
    let added = false;
    const run = await signOff({ signatories: { name: ['Ann', 'Bob'] } }, async (name, bridge, { caseId }) => {
      if (name === 'Bob' && !added) {
        added = true;
        bridge.addMIInstance(caseId, 'Sign_off_3', 'Zed');
        bridge.addMIInstance(caseId, 'Sign_off_3', 'Yan');
        // At its maximum of 4: a fifth is refused.
        expect(() => bridge.addMIInstance(caseId, 'Sign_off_3', 'Xi')).toThrow(/maximum of 4/);
      }
      return sleep(name === 'Zed' ? 20 : 2, { signature: String(name) });
    });
    expect(run.status).toBe('completed');
    expect(run.inputs).toEqual(['Ann', 'Bob', 'Zed', 'Yan']);
    // Decided: it takes no more.
    expect(() => run.bridge.addMIInstance(run.caseId, 'Sign_off_3', 'late')).toThrow(/No dynamic/);
    expect(run.engine.caseData(run.caseId).signatures?.match(/<signature>/g)).toHaveLength(4);
    expect(run.events).toContain('task:completed Archive_5');
  });

  it('a split outside minimum…maximum fails the task, naming the count; nothing runs', async () => {
    const run = await signOff({ signatories: { name: ['a', 'b', 'c', 'd', 'e'] } }, () => 'never');
    expect(run.inputs).toEqual([]);
    expect(run.events).toContain('task:failed Sign_off_3');
    expect(run.engine.tasks(run.caseId).get('Sign_off_3')).toBe('failed');
  });

  it('an instance output without the element the output query needs fails the task instead of leaving it started', async () => {
    const run = await signOff(null, () => 'no signature element');
    expect(run.events).toContain('task:failed Sign_off_3');
    expect(run.engine.caseData(run.caseId).signatures).toBe('');
  });

  it('a threshold below the instances: done after 2 signatures, the third instance torn down through its signal, 2 aggregated', async () => {
    const threshold2 = workflows.map((w) => ({
      ...w,
      tasks: w.tasks.map((t) =>
        t.mi ? { ...t, mi: { ...t.mi, threshold: 2, creationMode: 'static' as const } } : t,
      ),
    }));
    const aborted: JsonValue[] = [];
    const run = await signOff(
      null,
      (name, _bridge, context) =>
        name === 'Cy'
          ? new Promise<JsonValue>((_, reject) =>
              context.signal.addEventListener('abort', () => {
                aborted.push(name);
                reject(context.signal.reason);
              }),
            )
          : sleep(5, { signature: String(name) }),
      threshold2,
    );
    expect(run.status).toBe('completed');
    expect(aborted).toEqual(['Cy']);
    expect(run.engine.caseData(run.caseId).signatures).toBe(
      '<signature>Ann</signature><signature>Bob</signature>',
    );
    expect(run.events).toContain('task:completed Escalate_6'); // 2 < 3 signatures
  });

  it('a complex element is its instance input as JSON (children by name, repeated → array)', async () => {
    const run = await signOff(
      { signatories: { person: [{ first: 'Ann', role: ['cfo', 'cto'] }, { first: 'Bob' }] } },
      (person) => ({ signature: (person as { first: string }).first }),
    );
    expect(run.inputs).toEqual([{ first: 'Ann', role: ['cfo', 'cto'] }, { first: 'Bob' }]);
    expect(run.engine.caseData(run.caseId).signatures).toBe(
      '<signature>Ann</signature><signature>Bob</signature>',
    );
  });

  it('cancelling the MI task in the engine (a remove set, an operator) tears down its running instances (their signals abort)', async () => {
    const engine = createMemoryYawlEngine({ workflows });
    const daemon = createDaemon();
    daemon.start();
    const aborted: string[] = [];
    new YawlBridge({
      daemon,
      engine,
      miHandlers: {
        Sign_off_3: (name, { signal }) =>
          new Promise<JsonValue>((_, reject) =>
            signal.addEventListener('abort', () => {
              aborted.push(String(name));
              reject(signal.reason);
            }),
          ),
      },
    });
    engine.createCase('Contract', null, 'c9');
    await sleep(5, null);
    expect(engine.tasks('c9').get('Sign_off_3')).toBe('started');
    engine.cancelTask('c9', 'Sign_off_3');
    expect(aborted.sort()).toEqual(['Ann', 'Bob', 'Cy']);
    await daemon.stop({ drainMs: 100 });
  });

  it('an unbounded maximum (YAWL writes 2147483647) imports as Infinity and runs any number of instances', async () => {
    const xml = readFileSync(new URL('./fixtures/yawl/signoff-mi.yawl', import.meta.url), 'utf8').replace(
      '<maximum>4</maximum>',
      '<maximum>2147483647</maximum>',
    );
    const unbounded = importYawl(xml);
    expect(unbounded[0]!.tasks[0]!.mi?.maximum).toBe(Infinity);
    const names = Array.from({ length: 12 }, (_, i) => `n${i}`);
    const run = await signOff(
      { signatories: { name: names } },
      (name) => ({ signature: String(name) }),
      unbounded,
    );
    expect(run.status).toBe('completed');
    // Threshold 10: done after ten signatures, the other two cancelled.
    expect(run.engine.caseData(run.caseId).signatures?.match(/<signature>/g)).toHaveLength(10);
  });
});
