import { filter, map, NEVER } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  type BridgeEvent,
  ConfigError,
  createDaemon,
  createMemoryYawlEngine,
  InjectionError,
  type WorkflowDefinition,
  YawlBridge,
  type YawlBridgeOptions,
  YawlError,
} from 'rxdaemon';
import { WorkerSlots } from '../src/yawl/worker-slots.js';
import { fanOut, loop, single } from '../test/fixtures/workflows.js';
import { marbleScheduler } from './helpers.js';

const bridgeLog = (bridge: YawlBridge, now: () => number): string[] => {
  const log: string[] = [];
  bridge.events.subscribe((e: BridgeEvent) =>
    log.push(
      `${now()} ${e.type} ${e.taskId}${e.type === 'task:retry-scheduled' ? ` #${e.attempt} in ${e.delayMs}` : ''}`,
    ),
  );
  return log;
};

/** A memory engine over `workflow`, a started daemon and a bridge over both with `options`. */
function bridged(
  workflow: WorkflowDefinition,
  options: Omit<YawlBridgeOptions, 'daemon' | 'engine'> = {},
  daemon = createDaemon(),
) {
  const engine = createMemoryYawlEngine({ workflows: [workflow] });
  daemon.start();
  return { engine, daemon, bridge: new YawlBridge({ daemon, engine, ...options }) };
}

describe('YawlBridge', () => {
  it('retries a failed task with backoff up to maxAttempts, then reports task:retry-exhausted', () => {
    const scheduler = marbleScheduler();
    let log: string[] = [];
    scheduler.run(({ cold, expectSubscriptions }) => {
      const failing = cold('-#', undefined, new Error('down'));
      const { engine, bridge } = bridged(single, {
        handlers: { work: () => failing },
        retry: { maxAttempts: 3, initialDelayMs: 2, multiplier: 2 },
      });
      log = bridgeLog(bridge, () => scheduler.now());
      engine.createCase('single', null, 'k');
      expectSubscriptions(failing.subscriptions).toBe(['^!', '---^!', '--------^!']);
    });
    expect(log).toEqual([
      '1 task:retry-scheduled work #2 in 2',
      '4 task:retry-scheduled work #3 in 4',
      '9 task:retry-exhausted work',
    ]);
  });

  it('a retry that succeeds completes the task and the case', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, expectObservable }) => {
      const attempts = [cold('-#'), cold('--ok|')];
      const { engine } = bridged(single, {
        handlers: { work: ({ attempt }) => attempts[attempt - 1]! },
        retry: { maxAttempts: 2, initialDelayMs: 1 },
      });
      const done = engine.events.pipe(
        filter((e) => e.type === 'case:completed'),
        map((e) => e.caseId),
      );
      expectObservable(done).toBe('------c', { c: 'k' });
      engine.createCase('single', null, 'k');
    });
  });

  it('scheduleRetry: one task of one case retried with its own policy, a failed one at once', () => {
    const scheduler = marbleScheduler();
    const log: string[] = [];
    const runs: string[] = [];
    scheduler.run(({ cold, flush }) => {
      const failing = cold('-#', undefined, new Error('down'));
      const engine = createMemoryYawlEngine({ workflows: [single] });
      const daemon = createDaemon();
      daemon.start();
      // No retry of the bridge's own: only the tasks given a policy are retried.
      const bridge = new YawlBridge({
        daemon,
        engine,
        handlers: {
          work: ({ caseId }) => {
            runs.push(`${scheduler.now()} ${caseId}`);
            return failing;
          },
        },
      });
      bridge.events.subscribe((e) =>
        log.push(`${scheduler.now()} ${e.caseId} ${e.type}${'delayMs' in e ? ` in ${e.delayMs}` : ''}`),
      );
      for (const caseId of ['k', 'other', 'third']) engine.createCase('single', null, caseId);
      bridge.scheduleRetry('k', 'work', { maxAttempts: 3, initialDelayMs: 2, multiplier: 2 });
      // Unsubscribing withdraws the policy and the retry waiting for its delay (due at 6).
      const third = bridge.scheduleRetry('third', 'work', { maxAttempts: 2, initialDelayMs: 5 });
      scheduler.schedule(() => third.unsubscribe(), 3);
      flush();
      // A task that has failed already is retried when given a policy.
      bridge.scheduleRetry('other', 'work', { maxAttempts: 2, initialDelayMs: 1 });
    });
    expect(log).toEqual([
      '1 k task:retry-scheduled in 2',
      '1 third task:retry-scheduled in 5',
      '4 k task:retry-scheduled in 4',
      '9 k task:retry-exhausted',
      '9 other task:retry-scheduled in 1',
      '11 other task:retry-exhausted',
    ]);
    expect(runs).toEqual(['0 k', '0 other', '0 third', '3 k', '8 k', '10 other']);
  });

  it('scheduleRetry names what is wrong: an unknown case, a task without a handler, a bad policy', () => {
    const { engine, bridge } = bridged(single, { handlers: { work: () => 'done' } });
    engine.createCase('single', null, 'k');
    expect(() => bridge.scheduleRetry('nope', 'work', { maxAttempts: 2 })).toThrow(YawlError);
    expect(() => bridge.scheduleRetry('k', 'ghost', { maxAttempts: 2 })).toThrow(/no handler/);
    expect(() => bridge.scheduleRetry('k', 'work', { maxAttempts: 0 })).toThrow(ConfigError);
    expect(() => bridge.scheduleRetry('k', 'work')).toThrow(/policy: required/);
    expect(() => bridge.scheduleRetry('k', "work'; --", { maxAttempts: 2 })).toThrow(InjectionError);
  });

  it('watchTaskTimeout fails a task that runs too long and tears its handler down', () => {
    const scheduler = marbleScheduler();
    let log: string[] = [];
    scheduler.run(({ cold, expectSubscriptions }) => {
      const slow = cold('----------x|');
      const { engine, bridge } = bridged(single, { handlers: { work: () => slow } });
      log = bridgeLog(bridge, () => scheduler.now());
      engine.createCase('single', null, 'k');
      bridge.watchTaskTimeout('k', 'work', 3);
      expectSubscriptions(slow.subscriptions).toBe('^--!');
    });
    expect(log).toEqual(['3 task:timed-out work']);
  });

  /** The fan-out net with a, b, c, d run by hand: `a` alone at frame 0 (done at 2), then b, c, d at 3. */
  function distribute(strategy: 'round-robin' | 'least-loaded' | 'hash'): {
    assigned: string[];
    log: string[];
  } {
    const scheduler = marbleScheduler();
    const assigned: string[] = [];
    const log: string[] = [];
    scheduler.run(({ cold, expectSubscriptions }) => {
      const quick = cold('-x|');
      const branch = cold('---y|');
      const { engine, bridge } = bridged(
        fanOut,
        {
          manual: ['a', 'b', 'c', 'd'],
          handlers: {
            split: () => 'go',
            a: () => quick,
            b: () => branch,
            c: () => branch,
            d: () => branch,
            join: () => 'done',
          },
        },
        createDaemon({ maxConcurrent: 4 }),
      );
      bridge.events.subscribe((e) => e.type === 'task:assigned' && assigned.push(`${e.taskId}@${e.worker}`));
      engine.events.subscribe((e) => e.type === 'case:completed' && log.push(`${scheduler.now()} ${e.type}`));
      const workers = ['w1', 'w2', 'w3'];
      engine.createCase('fan-out', null, 'fan');
      bridge.distributeAndSplitTasks('fan', ['a'], { workers, strategy }).subscribe();
      scheduler.schedule(
        () => bridge.distributeAndSplitTasks('fan', ['b', 'c', 'd'], { workers, strategy }).subscribe(),
        3,
      );
      expectSubscriptions(quick.subscriptions).toBe('^-!');
      expectSubscriptions(branch.subscriptions).toBe(['---^---!', '---^---!', '---^---!']); // at once, on the daemon's pool
    });
    return { assigned, log };
  }

  it('distributeAndSplitTasks runs branches at once on named worker slots (round-robin)', () => {
    expect(distribute('round-robin')).toEqual({
      assigned: ['a@w1', 'b@w2', 'c@w3', 'd@w1'],
      log: ['7 case:completed'],
    });
  });

  it('distributeAndSplitTasks: least-loaded fills the idle slots first', () => {
    expect(distribute('least-loaded').assigned).toEqual(['a@w1', 'b@w1', 'c@w2', 'd@w3']);
  });

  it('distributeAndSplitTasks: hash puts the same case and task on the same slot every time', () => {
    const first = distribute('hash').assigned;
    expect(distribute('hash').assigned).toEqual(first);
    expect(first.map((a) => a.split('@')[1])).toEqual(
      ['a', 'b', 'c', 'd'].map((task) => new WorkerSlots(['w1', 'w2', 'w3']).assign('hash', `fan/${task}`)),
    );
  });

  it('bad arguments are named at the call, before any task starts', () => {
    let runs = 0;
    const { engine, bridge } = bridged(fanOut, {
      manual: ['a', 'b', 'c', 'd'],
      handlers: { split: () => 'go', a: () => ++runs, b: () => ++runs },
    });
    engine.createCase('fan-out', null, 'f');
    const workers = ['w1'];
    expect(() => bridge.distributeAndSplitTasks('f', ['a', 'nope'], { workers })).toThrow(
      /Workflow fan-out has no task nope/,
    );
    expect(() => bridge.distributeAndSplitTasks('f', ['a', 'a'], { workers })).toThrow(/twice/);
    expect(() => bridge.distributeAndSplitTasks('f', 'a' as never, { workers })).toThrow(ConfigError);
    expect(() =>
      bridge.distributeAndSplitTasks('f', ['a'], { workers, strategy: 'random' as never }),
    ).toThrow(/strategy/);
    expect(() => bridge.distributeAndSplitTasks('f', ['a'], undefined as never)).toThrow(/workers/);
    expect(() => bridge.waitForChoice('f', { a: 5 as never, b: NEVER })).toThrow(/a: must be an Observable/);
    for (const ms of [-1, Number.NaN, Infinity])
      expect(() => bridge.watchTaskTimeout('f', 'a', ms), String(ms)).toThrow(ConfigError);
    const trigger = { type: 'interval', ms: 5 } as const;
    expect(() => bridge.scheduleRecurringCase('fan-out', trigger, { at: () => 1 } as never)).toThrow(
      /input\.at is a function/,
    );
    expect(runs).toBe(0);
    expect(engine.tasks('f').get('a')).toBe('enabled');
  });

  it('MI status, cancellation and identifier checks', () => {
    const scheduler = marbleScheduler();
    scheduler.run(({ cold, expectSubscriptions }) => {
      const miNet: WorkflowDefinition = {
        id: 'mi',
        input: 'start',
        output: 'end',
        conditions: [{ id: 'start', flows: ['quotes'] }, { id: 'end' }],
        tasks: [{ id: 'quotes', flows: [{ to: 'end' }], mi: { minimum: 1, maximum: 3 } }],
      };
      const instance = cold('-----q|');
      const { engine, bridge } = bridged(miNet);
      engine.createCase('mi', null, 'm');
      bridge.executeMITask('m', 'quotes', 3, () => instance).subscribe();
      scheduler.schedule(() => {
        expect(bridge.getMIInstanceStatus('m', 'quotes', 1)).toMatchObject({ status: 'running' });
        bridge.cancelMITask('m', 'quotes');
        expect(engine.caseStatus('m')).toBe('running');
        expect(engine.tasks('m').size).toBe(0); // the MI task was cancelled in the engine
      }, 2);
      expectSubscriptions(instance.subscriptions).toBe(['^-!', '^-!', '^-!']);
      expect(() => bridge.executeMITask('m', "x' OR '1'='1", 1, () => instance)).toThrow(InjectionError);
      expect(() => bridge.watchTaskTimeout('../etc', 'quotes', 1)).toThrow(InjectionError);
      expect(() => bridge.waitForChoice('nope', {})).toThrow(YawlError);
      expect(() => bridge.scheduleRecurringCase('unknown', { type: 'interval', ms: 5 })).toThrow(YawlError);
    });
  });
});

describe('YawlBridge runs and the engine', () => {
  it('a distributed run whose task a cancellation set withdraws is torn down at that frame', () => {
    const net: WorkflowDefinition = {
      id: 'withdrawn',
      input: 'start',
      output: 'end',
      conditions: [{ id: 'start', flows: ['split'] }, { id: 'end' }],
      tasks: [
        { id: 'split', split: 'and', flows: [{ to: 'pack' }, { to: 'cancel-order' }] },
        { id: 'pack', flows: [{ to: 'end' }] },
        { id: 'cancel-order', flows: [{ to: 'end' }], cancels: ['pack'] },
      ],
    };
    const scheduler = marbleScheduler();
    const signals: AbortSignal[] = [];
    scheduler.run(({ cold, expectObservable, expectSubscriptions }) => {
      const pack = cold('--------p|');
      const { engine, bridge } = bridged(net, {
        manual: ['pack'],
        handlers: {
          split: () => 'go',
          pack: ({ signal }) => (signals.push(signal), pack),
          'cancel-order': () => cold('---x|'),
        },
      });
      engine.createCase('withdrawn', null, 'w');
      expectObservable(
        bridge.distributeAndSplitTasks('w', ['pack'], { workers: ['w1'] }).pipe(map((r) => r.taskId)),
      ).toBe('----|');
      expectSubscriptions(pack.subscriptions).toBe('^---!'); // cancel-order completes at 4
    });
    expect(signals[0]?.aborted).toBe(true);
  });
});

describe('YawlBridge with synchronous handlers', () => {
  it('runs a task again when a loop enables it again', () => {
    let checks = 0;
    const { engine } = bridged(loop, {
      handlers: { work: () => 'done', check: () => ({ again: ++checks < 3 }) },
    });
    engine.createCase('loop', null, 'l');
    expect(checks).toBe(3);
    expect(engine.caseStatus('l')).toBe('completed');
  });
});

describe('YawlBridge on a shared daemon', () => {
  it('several bridges share one daemon, each under its own operation', () => {
    const daemon = createDaemon();
    const engine = createMemoryYawlEngine({ workflows: [single] });
    const first = new YawlBridge({ daemon, engine });
    const second = new YawlBridge({ daemon, engine });
    expect(first.operationId).not.toBe(second.operationId);
    first.dispose();
    second.dispose();
  });
});
