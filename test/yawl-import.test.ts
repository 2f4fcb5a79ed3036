import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { lastValueFrom, toArray, VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  createDaemon,
  createMemoryYawlEngine,
  importYawl,
  safeYawlId,
  type WorkflowDefinition,
  YawlBridge,
  type YawlEvent,
  YawlImportError,
  yawlIdOf,
} from 'rxdaemon';
import { sleep } from './support.js';
import { bridgeWith } from './support/yawl.js';

const spec = (name: string): string =>
  readFileSync(new URL(`./fixtures/yawl/${name}`, import.meta.url), 'utf8');

/** Runs a case of `workflow` through the bridge, each task's handler taking `delays[task]` ms. */
async function runThroughBridge(
  workflows: WorkflowDefinition[],
  delays: Record<string, number>,
): Promise<{ status: string | undefined; events: string[] }> {
  const engine = createMemoryYawlEngine({ workflows });
  const daemon = createDaemon({ maxConcurrent: 8 });
  daemon.start();
  const handlers = Object.fromEntries(
    workflows[0]!.tasks.map((task) => [task.id, () => sleep(delays[yawlIdOf(task.id)] ?? 1, null)]),
  );
  new YawlBridge({ daemon, engine, handlers });
  const events: string[] = [];
  const done = new Promise<void>((resolve) =>
    engine.events.subscribe((e: YawlEvent) => {
      events.push('taskId' in e ? `${e.type} ${yawlIdOf(e.taskId)}` : e.type);
      if (e.type === 'case:completed' || e.type === 'case:stuck') resolve();
    }),
  );
  const caseId = engine.createCase(workflows[0]!.id);
  await done;
  await daemon.stop({ drainMs: 100 });
  return { status: engine.caseStatus(caseId), events };
}

describe('importYawl: YAWL specifications as the YAWL Editor writes them', () => {
  it('imports a net with ids holding spaces (reversibly), joins, splits and remove sets (tasks and flows)', () => {
    const [net] = importYawl(spec('order-check.yawl'));
    expect(net!.id).toBe('OrderCheck');
    const cancel = net!.tasks.find((t) => yawlIdOf(t.id) === 'Cancel order_5')!;
    expect(cancel.id).toBe('Cancel+0020order_5');
    expect(cancel.cancels).toEqual(['Check+0020credit_4', 'Receive+0020order_2→Check+0020credit_4']);
    expect(net!.tasks.find((t) => t.id === 'Notify_7')).toMatchObject({ join: 'or', split: 'and' });
    expect(net!.tasks.find((t) => t.id === 'Ship_6')).toMatchObject({ join: 'and' });
  });

  it('runs the OR-join after a cancellation region to completion through the bridge, on both paths', async () => {
    const workflows = importYawl(spec('order-check.yawl'));
    // Cancel first: the credit check is cancelled, Ship can never fire, Notify fires on the cancel.
    const cancelled = await runThroughBridge(workflows, { 'Check credit_4': 80, 'Cancel order_5': 10 });
    expect(cancelled.status).toBe('completed');
    expect(cancelled.events).toContain('task:cancelled Check credit_4');
    expect(cancelled.events).not.toContain('task:completed Ship_6');
    // Both checks first: Ship fires; Notify waits for the cancel branch, then completes the case.
    const shipped = await runThroughBridge(workflows, { 'Check credit_4': 5, 'Cancel order_5': 60 });
    expect(shipped.status).toBe('completed');
    expect(shipped.events).toContain('task:completed Ship_6');
    const notify = shipped.events.indexOf('task:started Notify_7');
    expect(notify).toBeGreaterThan(shipped.events.indexOf('task:completed Cancel order_5'));
  });

  it('a dynamic MI task with a threshold above its maximum completes when all instances complete; a composite task runs its subnet as a sub-case', async () => {
    const workflows = importYawl(spec('quotes-mi.yawl'));
    expect(workflows.map((w) => w.id)).toEqual(['Quotes', 'Approval']);
    const [root] = workflows;
    expect(root!.tasks[0]).toMatchObject({
      id: 'Ask_suppliers',
      mi: { minimum: 1, maximum: 3, threshold: 5, creationMode: 'dynamic' },
    });
    expect(root!.tasks[1]).toMatchObject({ id: 'Approve', subnet: 'Approval' });
    const engine = createMemoryYawlEngine({ workflows });
    const daemon = createDaemon();
    daemon.start();
    const subCases: string[] = [];
    engine.events.subscribe((e: YawlEvent) => e.type === 'case:created' && subCases.push(e.caseId));
    // Approve is composite: it runs its subnet (Review, then Sign) as the sub-case q1/Approve.
    const bridge = new YawlBridge({ daemon, engine, handlers: { Review: () => 'ok', Sign: () => 'signed' } });
    engine.createCase('Quotes', null, 'q1');
    const events = await lastValueFrom(
      bridge.executeMITask('q1', 'Ask_suppliers', [10, 20, 5], (ms: number) => sleep(ms, ms)).pipe(toArray()),
    );
    expect(events.at(-1)).toMatchObject({ type: 'decided', status: 'completed', reason: 'all-settled' });
    for (let i = 0; i < 50 && engine.caseStatus('q1') === 'running'; i++) await sleep(5, null);
    expect(engine.caseStatus('q1')).toBe('completed');
    expect(subCases).toEqual(['q1', 'q1/Approve']);
    expect(engine.caseStatus('q1/Approve')).toBe('completed');
    await daemon.stop();
  });

  it("cancelling a composite task's case cancels its sub-case", () => {
    const engine = createMemoryYawlEngine({ workflows: importYawl(spec('quotes-mi.yawl')) });
    engine.createCase('Quotes', null, 'q2');
    engine.enableTask('q2', 'Ask_suppliers');
    engine.completeTask('q2', 'Ask_suppliers');
    expect(engine.tasks('q2').get('Approve')).toBe('started'); // fired by itself
    expect(engine.tasks('q2/Approve').get('Review')).toBe('enabled');
    engine.cancelCase('q2');
    expect(engine.caseStatus('q2/Approve')).toBe('cancelled');
  });

  it('XOR and OR splits with constant predicates, ordering and default flows route as YAWL does', async () => {
    const workflows = importYawl(spec('routing.yawl'));
    const { status, events } = await runThroughBridge(workflows, {});
    expect(status).toBe('completed');
    const ran = events.filter((e) => e.startsWith('task:completed')).map((e) => e.split(' ')[1]);
    expect(ran).toEqual(expect.arrayContaining(['choose', 'fan', 'left', 'middle', 'merge']));
    expect(ran).not.toContain('never');
    expect(ran).not.toContain('fallback');
    expect(ran).not.toContain('right');
  });

  it('data-driven XOR and OR splits: XPath predicates over the case data that XQuery completed mappings fill, on every path; starting mappings give a handler its input', async () => {
    const workflows = importYawl(spec('claims.yawl'));
    expect(workflows[0]!.variables).toEqual({ amount: '0', approved: 'false' });
    const reviewed: Readonly<Record<string, string>>[] = [];
    const claim = async (amount: number, approved: boolean) => {
      const { engine, daemon } = bridgeWith(workflows, {
        Assess_claim: () => ({ amount }),
        Review_claim: ({ input }) => {
          reviewed.push(input);
          return { approved };
        },
        Pay_claim: () => 'paid',
        Reject_claim: () => 'rejected',
      });
      const ran: string[] = [];
      const done = new Promise<void>((resolve) =>
        engine.events.subscribe((e: YawlEvent) => {
          if (e.type === 'task:completed') ran.push(e.taskId);
          if (e.type === 'case:completed') resolve();
        }),
      );
      const caseId = engine.createCase('Claims');
      await done;
      await daemon.stop();
      return { ran, data: engine.caseData(caseId) };
    };
    expect(await claim(500, false)).toEqual({
      ran: ['Assess_claim', 'Pay_claim'],
      data: { amount: '500', approved: 'false' },
    });
    expect((await claim(5000, true)).ran).toEqual(['Assess_claim', 'Review_claim', 'Pay_claim']);
    expect((await claim(5000, false)).ran).toEqual(['Assess_claim', 'Review_claim', 'Reject_claim']);
    expect(reviewed).toEqual([{ amount: '5000' }, { amount: '5000' }]); // the starting mapping's input
  });

  it('what it cannot take is a typed error naming the element, and nothing is half-loaded', () => {
    const wrap = (elements: string, extra = '') => `<specificationSet><specification uri="S">
      <decomposition id="S" isRootNet="true" type="NetFactsType"><processControlElements>
      <inputCondition id="i"><flowsInto><nextElementRef id="t" /></flowsInto></inputCondition>
      ${elements}<outputCondition id="o" /></processControlElements></decomposition>${extra}</specification></specificationSet>`;
    const cases: [string, RegExp][] = [
      ['<specificationSet><specification>', /not well-formed XML at line 1/],
      ['<specificationSet></specificationSet>', /no <specification>/],
      // An external entity (XXE) is refused by the parser: named, not a bare Error.
      [
        '<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]><specificationSet>&x;</specificationSet>',
        /document: cannot be read: External entities are not supported/,
      ],
      [
        '<specificationSet><specification uri="S"><decomposition id="S" type="NetFactsType"/></specification></specificationSet>',
        /no root net/,
      ],
      [
        wrap(
          '<task id="t"><flowsInto><nextElementRef id="o"/></flowsInto><timer><trigger>OnEnabled</trigger><duration>P1M</duration><workdays>true</workdays></timer></task>',
        ),
        /task t of net S: a timer counting work days only/,
      ],
      [
        wrap(
          '<task id="t"><flowsInto><nextElementRef id="o"/></flowsInto><timer><trigger>Soon</trigger><duration>PT1H</duration></timer></task>',
        ),
        /trigger must be OnEnabled or OnExecuting/,
      ],
      [
        wrap('<task id="t"><flowsInto><nextElementRef id="o"/></flowsInto><join code="xand"/></task>'),
        /unknown join code "xand"/,
      ],
    ];
    for (const [xml, reason] of cases) {
      const error = (() => {
        try {
          importYawl(xml);
        } catch (e) {
          return e;
        }
      })();
      expect(error, xml.slice(0, 60)).toBeInstanceOf(YawlImportError);
      expect((error as Error).message, xml.slice(0, 60)).toMatch(reason);
    }
    // A net that is not a valid workflow (a task off every path) is the definitions' own ConfigError.
    expect(() =>
      importYawl(
        wrap(
          '<task id="t"><flowsInto><nextElementRef id="o"/></flowsInto></task><task id="island"><flowsInto><nextElementRef id="o"/></flowsInto></task>',
        ),
      ),
    ).toThrow(ConfigError);
    expect(() => importYawl(42 as never)).toThrow(YawlImportError);
  });

  it('timers run on the scheduler (virtual time): OnEnabled and OnExecuting expire, the task completes, the case goes on', () => {
    const workflows = importYawl(spec('escalation.yawl'));
    expect(workflows[0]!.tasks.map((t) => t.timer)).toEqual([
      { trigger: 'enabled', afterMs: 2 * 3_600_000 },
      { trigger: 'started', afterMs: 30 * 60_000 },
    ]);
    const scheduler = new VirtualTimeScheduler(undefined, Infinity);
    const engine = createMemoryYawlEngine({ workflows, scheduler });
    const events: string[] = [];
    engine.events.subscribe((e: YawlEvent) =>
      events.push(`${e.at / 60_000}m ${e.type}${'taskId' in e ? ` ${e.taskId}` : ''}`),
    );
    const caseId = engine.createCase('Escalation');
    scheduler.schedule(() => engine.enableTask(caseId, 'Review'), 2 * 3_600_000 + 10 * 60_000); // started at 2h10m
    scheduler.flush();
    expect(events).toEqual([
      '0m case:created',
      '0m task:enabled Approve',
      '120m task:timed-out Approve',
      '120m task:completed Approve',
      '120m task:enabled Review',
      '130m task:started Review',
      '160m task:timed-out Review',
      '160m task:completed Review',
      '160m case:completed',
    ]);
  });

  it('safe ids map back to the YAWL ids they stand for', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40, unit: 'binary' }), (id) => {
        expect(yawlIdOf(safeYawlId(id))).toBe(id);
      }),
      { numRuns: 500 },
    );
    expect(safeYawlId('Check Order_4')).toBe('Check+0020Order_4');
    expect(safeYawlId('a+b')).toBe('a+002Bb');
  });
});
