import { readFileSync } from 'node:fs';
import { filter, timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  createDaemon,
  createMemoryYawlEngine,
  type JsonValue,
  type WorkflowDefinition,
  importYawl,
  YawlBridge,
  type YawlEngine,
  type YawlEvent,
  yawlIdOf,
} from 'rxdaemon';
import { marbleScheduler } from './helpers.js';

/** Every engine event as `frame type task`, for assertions with frames. */
function record(engine: YawlEngine, now: () => number): string[] {
  const log: string[] = [];
  engine.events.subscribe((e: YawlEvent) => {
    const reason = e.type === 'task:cancelled' ? ` (${e.reason})` : '';
    log.push(`${now()} ${e.type}${'taskId' in e ? ` ${e.taskId}` : ''}${reason}`);
  });
  return log;
}

const orderFulfilment: WorkflowDefinition = {
  id: 'order-fulfilment',
  input: 'start',
  output: 'end',
  conditions: [{ id: 'start', flows: ['receive-order'] }, { id: 'end' }],
  tasks: [
    { id: 'receive-order', split: 'and', flows: [{ to: 'request-quotes' }, { to: 'check-credit' }] },
    { id: 'request-quotes', flows: [{ to: 'ship' }], mi: { minimum: 1, maximum: 5, threshold: 3 } },
    { id: 'check-credit', flows: [{ to: 'ship' }] },
    { id: 'ship', join: 'and', flows: [{ to: 'end' }] },
  ],
};

/**
 * YAWL's cancellation pattern with an OR-join behind it, imported from the Editor's XML
 * (test/fixtures/yawl/order-check.yawl): "Cancel order" empties the credit check's region, so the
 * AND-join "Ship" can never fire and the OR-join "Notify" fires on the cancel branch alone.
 */
const orderCheck = importYawl(
  readFileSync(new URL('../test/fixtures/yawl/order-check.yawl', import.meta.url), 'utf8'),
);

describe('workflows on the bridge, in virtual time', () => {
  it('an OR-join after a cancellation region: it fires when the region is cancelled, the AND-join before it never can', () => {
    const scheduler = marbleScheduler();
    let log: string[] = [];
    scheduler.run(({ cold, expectSubscriptions }) => {
      const credit = cold('-----c|');
      const engine = createMemoryYawlEngine({ workflows: orderCheck });
      const daemon = createDaemon({ maxConcurrent: 8 });
      daemon.start();
      new YawlBridge({
        daemon,
        engine,
        handlers: {
          'Receive+0020order_2': () => cold('-r|'),
          'Check+0020stock_3': () => cold('-s|'),
          'Check+0020credit_4': () => credit,
          'Cancel+0020order_5': () => cold('---x|'),
          Ship_6: () => cold('-p|'),
          Notify_7: () => cold('-n|'),
        },
      });
      log = record(engine, () => scheduler.now()); // ids read back with yawlIdOf below
      engine.createCase('OrderCheck', null, 'o1');
      expectSubscriptions(credit.subscriptions).toBe('--^---!'); // cancelled by "Cancel order" at 6
    });
    expect(log.map(yawlIdOf)).toEqual([
      '0 case:created',
      '0 task:enabled Receive order_2',
      '0 task:started Receive order_2',
      '2 task:completed Receive order_2',
      '2 task:enabled Check stock_3',
      '2 task:enabled Check credit_4',
      '2 task:enabled Cancel order_5',
      '2 task:started Check stock_3',
      '2 task:started Check credit_4',
      '2 task:started Cancel order_5',
      '4 task:completed Check stock_3',
      '6 task:completed Cancel order_5',
      '6 task:cancelled Check credit_4 (cancellation-set)',
      '6 task:enabled Notify_7', // Ship can never fire: its credit input is gone for good
      '6 task:started Notify_7',
      '8 task:completed Notify_7',
      '8 case:completed',
    ]);
  });

  it('order fulfilment: an MI "request quotes" task completes at 3 of 5 and cancels the other two at that frame', () => {
    const scheduler = marbleScheduler();
    let log: string[] = [];
    let values: unknown;
    scheduler.run(({ cold, expectSubscriptions }) => {
      const quotes = {
        acme: cold('-a|', { a: 410 }),
        globex: cold('--b|', { b: 395 }),
        initech: cold('---c|', { c: 380 }),
        umbrella: cold('------d|', { d: 420 }),
        hooli: cold('-------e|', { e: 370 }),
      };
      const engine = createMemoryYawlEngine({ workflows: [orderFulfilment] });
      const daemon = createDaemon({ maxConcurrent: 4 });
      daemon.start();
      const bridge = new YawlBridge({
        daemon,
        engine,
        handlers: {
          'receive-order': () => cold('-o|', { o: 'order-42' }),
          'check-credit': () => cold('-c|', { c: 'ok' }),
          ship: () => cold('--s|', { s: 'shipped' }),
        },
      });
      log = record(engine, () => scheduler.now());
      engine.events
        .pipe(filter((e) => e.type === 'task:enabled' && e.taskId === 'request-quotes'))
        .subscribe((e) => {
          bridge
            .executeMITask(
              e.caseId,
              'request-quotes',
              Object.keys(quotes),
              (supplier: string) => quotes[supplier as keyof typeof quotes],
              { concurrency: 5 },
            )
            .subscribe(); // cold: subscribing starts the MI task
        });
      engine.events
        .pipe(filter((e) => e.type === 'task:completed' && e.taskId === 'request-quotes'))
        .subscribe((e) => {
          if (e.type === 'task:completed') values = e.data;
        });
      engine.createCase('order-fulfilment', null, 'order-42');
      expectSubscriptions(quotes.acme.subscriptions).toBe('--^-!');
      expectSubscriptions(quotes.initech.subscriptions).toBe('--^---!'); // the third quote decides, frame 6
      expectSubscriptions(quotes.umbrella.subscriptions).toBe('--^---!'); // cancelled at 6, not 9
      expectSubscriptions(quotes.hooli.subscriptions).toBe('--^---!'); // cancelled at 6, not 10
    });
    expect(values).toEqual({ values: [410, 395, 380] });
    expect(log).toEqual([
      '0 case:created',
      '0 task:enabled receive-order',
      '0 task:started receive-order',
      '2 task:completed receive-order',
      '2 task:enabled request-quotes',
      '2 task:enabled check-credit',
      '2 task:started request-quotes',
      '2 task:started check-credit',
      '4 task:completed check-credit',
      '6 task:completed request-quotes',
      '6 task:enabled ship',
      '6 task:started ship',
      '9 task:completed ship',
      '9 case:completed',
    ]);
  });

  const invoice: WorkflowDefinition = {
    id: 'invoice',
    input: 'start',
    output: 'end',
    conditions: [
      { id: 'start', flows: ['send-invoice'] },
      { id: 'awaiting', flows: ['payment-received', 'expire'] },
      { id: 'end' },
    ],
    tasks: [
      { id: 'send-invoice', flows: [{ to: 'awaiting' }] },
      { id: 'payment-received', flows: [{ to: 'end' }] },
      { id: 'expire', flows: [{ to: 'end' }] },
    ],
  };

  function deferredChoice(payments: string): string[] {
    const scheduler = marbleScheduler();
    let log: string[] = [];
    scheduler.run(({ cold, hot }) => {
      const engine = createMemoryYawlEngine({ workflows: [invoice] });
      const daemon = createDaemon();
      daemon.start();
      const bridge = new YawlBridge({
        daemon,
        engine,
        handlers: { 'send-invoice': () => cold('-i|', { i: 'sent' }) },
      });
      log = record(engine, () => scheduler.now());
      const paid = hot(payments, { p: { amount: 100 } as JsonValue });
      engine.events
        .pipe(filter((e) => e.type === 'task:completed' && e.taskId === 'send-invoice'))
        .subscribe((e) => {
          bridge.waitForChoice(e.caseId, { 'payment-received': paid, expire: timer(10) }).subscribe();
        });
      engine.createCase('invoice', null, 'inv-1');
    });
    return log;
  }

  it('deferred choice: the payment arriving first withdraws the timer', () => {
    expect(deferredChoice('-----p')).toEqual([
      '0 case:created',
      '0 task:enabled send-invoice',
      '0 task:started send-invoice',
      '2 task:completed send-invoice',
      '2 task:enabled payment-received',
      '2 task:enabled expire',
      '5 task:started payment-received',
      '5 task:cancelled expire (withdrawn)',
      '5 task:completed payment-received',
      '5 case:completed',
    ]);
  });

  it('deferred choice: the timer firing first withdraws the payment', () => {
    expect(deferredChoice('------------------p').slice(6)).toEqual([
      '12 task:started expire',
      '12 task:cancelled payment-received (withdrawn)',
      '12 task:completed expire',
      '12 case:completed',
    ]);
  });

  it('a cancellation set withdraws a running branch: its handler is torn down at that frame', () => {
    const net: WorkflowDefinition = {
      id: 'cancellable',
      input: 'start',
      output: 'end',
      conditions: [{ id: 'start', flows: ['split'] }, { id: 'packed', flows: ['ship'] }, { id: 'end' }],
      tasks: [
        { id: 'split', split: 'and', flows: [{ to: 'pack' }, { to: 'cancel-order' }] },
        { id: 'pack', flows: [{ to: 'packed' }] },
        { id: 'ship', flows: [{ to: 'end' }] },
        { id: 'cancel-order', flows: [{ to: 'refund' }], cancels: ['pack', 'packed', 'ship'] },
        { id: 'refund', flows: [{ to: 'end' }] },
      ],
    };
    const scheduler = marbleScheduler();
    let log: string[] = [];
    scheduler.run(({ cold, expectSubscriptions }) => {
      const pack = cold('--------p|');
      const engine = createMemoryYawlEngine({ workflows: [net] });
      const daemon = createDaemon();
      daemon.start();
      new YawlBridge({
        daemon,
        engine,
        handlers: {
          split: () => 'go',
          pack: () => pack,
          'cancel-order': () => cold('---x|'),
          refund: () => cold('-r|'),
        },
      });
      log = record(engine, () => scheduler.now());
      engine.createCase('cancellable', null, 'c-1');
      expectSubscriptions(pack.subscriptions).toBe('^---!'); // withdrawn at 4 when cancel-order completes
    });
    expect(log.slice(4)).toEqual([
      '0 task:enabled pack',
      '0 task:enabled cancel-order',
      '0 task:started pack',
      '0 task:started cancel-order',
      '4 task:completed cancel-order',
      '4 task:cancelled pack (cancellation-set)',
      '4 task:enabled refund',
      '4 task:started refund',
      '6 task:completed refund',
      '6 case:completed',
    ]);
  });

  it('a recurring case driven by cron in virtual time', () => {
    const linear: WorkflowDefinition = {
      id: 'hourly-audit',
      input: 'start',
      output: 'end',
      conditions: [{ id: 'start', flows: ['audit'] }, { id: 'end' }],
      tasks: [{ id: 'audit', flows: [{ to: 'end' }] }],
    };
    const scheduler = marbleScheduler();
    const created: string[] = [];
    scheduler.run(({ cold }) => {
      const engine = createMemoryYawlEngine({ workflows: [linear] });
      const daemon = createDaemon();
      const bridge = new YawlBridge({
        daemon,
        engine,
        handlers: { audit: () => cold('5m a|', { a: 'clean' }) },
      });
      bridge.scheduleRecurringCase('hourly-audit', { type: 'cron', expression: '0 * * * *' });
      engine.events.subscribe((e) => {
        if (e.type === 'case:created' || e.type === 'case:completed')
          created.push(`${new Date(scheduler.now()).toISOString().slice(11, 19)} ${e.type} ${e.caseId}`);
      });
      daemon.start();
      scheduler.schedule(() => void daemon.stop({ drainMs: 10 * 60_000 }), 3 * 3_600_000 + 1);
    });
    expect(created).toEqual([
      '01:00:00 case:created hourly-audit-1',
      '01:05:00 case:completed hourly-audit-1',
      '02:00:00 case:created hourly-audit-2',
      '02:05:00 case:completed hourly-audit-2',
      '03:00:00 case:created hourly-audit-3',
      '03:05:00 case:completed hourly-audit-3',
    ]);
  });
});
