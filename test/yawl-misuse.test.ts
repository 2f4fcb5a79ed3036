import { lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  createDaemon,
  createMemoryYawlEngine,
  type InstanceContext,
  NotSerializableError,
  type WorkflowDefinition,
  YawlBridge,
} from 'rxdaemon';
import { loop, notify, selfLoop, single } from './fixtures/workflows.js';
import { failOnUnhandledRejections, sleep } from './support.js';

failOnUnhandledRejections();

const quotesNet: WorkflowDefinition = {
  id: 'quotes',
  input: 'start',
  output: 'end',
  conditions: [{ id: 'start', flows: ['ask'] }, { id: 'end' }],
  tasks: [{ id: 'ask', flows: [{ to: 'end' }], mi: { minimum: 1, maximum: 5, threshold: 2 } }],
};

describe('YawlBridge under misuse', () => {
  it('an MI handler gets its own context, with a live signal, and instances past the threshold are aborted', async () => {
    const engine = createMemoryYawlEngine({ workflows: [quotesNet] });
    const daemon = createDaemon();
    daemon.start();
    const bridge = new YawlBridge({ daemon, engine });
    engine.createCase('quotes', null, 'q');
    const contexts: InstanceContext[] = [];
    const events = await lastValueFrom(
      bridge
        .executeMITask('q', 'ask', [5, 10, 200, 300], (ms: number, context) => {
          contexts.push(context);
          return sleep(ms, ms, context.signal);
        })
        .pipe(toArray()),
    );
    expect(contexts.every((c) => c.signal instanceof AbortSignal)).toBe(true);
    expect(contexts[0]).toMatchObject({
      caseId: 'q',
      taskId: 'ask',
      index: 0,
      instanceId: 'ask#0',
      attempt: 1,
    });
    expect(events.at(-1)).toMatchObject({ type: 'decided', status: 'completed', reason: 'threshold' });
    expect(contexts.map((c) => c.signal.aborted)).toEqual([false, false, true, true]);
    expect(engine.caseStatus('q')).toBe('completed');
    await daemon.stop();
  });

  it('executeMITask is cold: nothing starts until it is subscribed', () => {
    const engine = createMemoryYawlEngine({ workflows: [quotesNet] });
    const daemon = createDaemon();
    daemon.start();
    const bridge = new YawlBridge({ daemon, engine });
    engine.createCase('quotes', null, 'q');
    let calls = 0;
    bridge.executeMITask('q', 'ask', 2, () => ++calls);
    expect(calls).toBe(0);
    expect(engine.tasks('q').get('ask')).toBe('enabled');
    void daemon.stop();
  });

  it('a task that loops back to itself runs again each time, with a sync or an async handler', async () => {
    for (const handler of [(again: boolean) => ({ again }), async (again: boolean) => ({ again })]) {
      const engine = createMemoryYawlEngine({ workflows: [selfLoop] });
      const daemon = createDaemon();
      daemon.start();
      let runs = 0;
      new YawlBridge({ daemon, engine, handlers: { work: () => handler(++runs < 3) } });
      engine.createCase('self-loop', null, 's');
      for (let i = 0; i < 50 && engine.caseStatus('s') !== 'completed'; i++) await sleep(2, null);
      expect(runs).toBe(3);
      expect(engine.caseStatus('s')).toBe('completed');
      await daemon.stop();
    }
  });

  it('a loop through another task runs again with async handlers', async () => {
    const engine = createMemoryYawlEngine({ workflows: [loop] });
    const daemon = createDaemon();
    daemon.start();
    let runs = 0;
    new YawlBridge({
      daemon,
      engine,
      handlers: { work: async () => 'done', check: async () => ({ again: ++runs < 3 }) },
    });
    engine.createCase('loop', null, 'l');
    for (let i = 0; i < 50 && engine.caseStatus('l') !== 'completed'; i++) await sleep(2, null);
    expect(runs).toBe(3);
    expect(engine.caseStatus('l')).toBe('completed');
    await daemon.stop();
  });

  it('handlers are own properties: a task named toString or constructor has none unless given', () => {
    const net: WorkflowDefinition = {
      id: 'proto',
      input: 'start',
      output: 'end',
      conditions: [{ id: 'start', flows: ['toString'] }, { id: 'end' }],
      tasks: [
        { id: 'toString', flows: [{ to: 'constructor' }] },
        { id: 'constructor', flows: [{ to: 'end' }] },
      ],
    };
    const engine = createMemoryYawlEngine({ workflows: [net] });
    const daemon = createDaemon();
    daemon.start();
    new YawlBridge({ daemon, engine, handlers: {} });
    engine.createCase('proto', null, 'p');
    expect(engine.tasks('p').get('toString')).toBe('enabled'); // waits for someone, runs nothing
    expect(daemon.recent()).toEqual([]);
    void daemon.stop();
  });

  it('an XOR split without a default flow is rejected at definition time', () => {
    const net: WorkflowDefinition = {
      id: 'xor',
      input: 'start',
      output: 'end',
      conditions: [{ id: 'start', flows: ['pick'] }, { id: 'end' }],
      tasks: [
        {
          id: 'pick',
          split: 'xor',
          flows: [
            { to: 'a', when: { path: 'x', equals: 1 } },
            { to: 'b', when: { path: 'x', equals: 2 } },
          ],
        },
        { id: 'a', flows: [{ to: 'end' }] },
        { id: 'b', flows: [{ to: 'end' }] },
      ],
    };
    expect(() => createMemoryYawlEngine({ workflows: [net] })).toThrow(ConfigError);
    expect(() => createMemoryYawlEngine({ workflows: [net] })).toThrow(/XOR split needs a default flow/);
  });

  it('an OR split whose data matches no branch fails its task instead of throwing', async () => {
    const engine = createMemoryYawlEngine({ workflows: [notify] });
    const daemon = createDaemon();
    daemon.start();
    new YawlBridge({ daemon, engine, handlers: { split: async () => ({ email: false }) } });
    engine.createCase('or', null, 'o');
    await sleep(10, null);
    expect(engine.tasks('o').get('split')).toBe('failed');
    await daemon.stop();
  });

  it('case data is JSON: a cycle is named at createCase; a handler whose result is not JSON fails its task', async () => {
    const engine = createMemoryYawlEngine({ workflows: [single] });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => engine.createCase('single', cyclic as never, 'c')).toThrow(NotSerializableError);
    expect(() => engine.createCase('single', cyclic as never, 'c')).toThrow(/data\.self is a cycle/);
    expect(engine.caseStatus('c')).toBeUndefined(); // nothing created
    const failures: unknown[] = [];
    engine.events.subscribe((e) => e.type === 'task:failed' && failures.push(e.error));
    const daemon = createDaemon();
    daemon.start();
    new YawlBridge({ daemon, engine, handlers: { work: async () => ({ at: () => 'now' }) as never } });
    engine.createCase('single', null, 'w');
    await sleep(10, null);
    expect(engine.tasks('w').get('work')).toBe('failed'); // not started for ever
    expect(failures[0]).toBeInstanceOf(NotSerializableError);
    await daemon.stop();
  });
});

describe('YawlBridge options are validated', () => {
  it('a handler that is not a function or a misspelt key is a ConfigError naming it', () => {
    const engine = createMemoryYawlEngine({ workflows: [quotesNet] });
    const daemon = createDaemon();
    expect(() => new YawlBridge({ daemon, engine, handlers: { ask: 'run me' as never } })).toThrow(
      /handlers\.ask/,
    );
    expect(() => new YawlBridge({ daemon, engine, retries: 3 } as never)).toThrow(/retries/);
    expect(daemon.operations()).toEqual([]); // nothing half-started
  });
});

describe('a listener that throws on engine.events', () => {
  it('cannot break a command, the bridge or the process; an engine:listener-failed event says so', async () => {
    const engine = createMemoryYawlEngine({ workflows: [selfLoop] });
    const daemon = createDaemon();
    daemon.start();
    new YawlBridge({ daemon, engine, handlers: { work: async () => ({ again: false }) } });
    const reports: unknown[] = [];
    engine.events.subscribe(() => {
      throw new Error('careless listener');
    });
    engine.events.subscribe((e) => e.type === 'engine:listener-failed' && reports.push(e.error));
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => void uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      engine.createCase('self-loop', null, 'c');
      for (let i = 0; i < 50 && engine.caseStatus('c') !== 'completed'; i++) await sleep(2, null);
      await sleep(20, null);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(engine.caseStatus('c')).toBe('completed');
    expect(uncaught).toEqual([]);
    expect(reports.length).toBeGreaterThan(0);
    await daemon.stop();
  });
});
