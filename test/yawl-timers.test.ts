import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  createMemoryYawlEngine,
  importYawl,
  type JsonValue,
  type YawlEvent,
  YawlImportError,
} from 'rxdaemon';

const workflows = importYawl(readFileSync(new URL('./fixtures/yawl/renewal.yawl', import.meta.url), 'utf8'));

/** A Renewal case on a virtual clock that starts at `start`; its events with their ISO times. */
function renewal(start: string, data: JsonValue = null): string[] {
  const scheduler = new VirtualTimeScheduler(undefined, Infinity);
  const origin = Date.parse(start);
  scheduler.frame = origin;
  const engine = createMemoryYawlEngine({ workflows, scheduler });
  const events: string[] = [];
  engine.events.subscribe((e: YawlEvent) =>
    events.push(
      `${new Date(e.at).toISOString().slice(0, 16)} ${e.type}${'taskId' in e ? ` ${e.taskId}` : ''}${
        e.type === 'task:timer-invalid' ? ` (${e.reason})` : ''
      }`,
    ),
  );
  engine.createCase('Renewal', data);
  scheduler.flush();
  return events.filter((e) => !e.includes('case:created'));
}

describe('YAWL timers from net variables and on the calendar, in virtual time', () => {
  it('imports a late-bound timer (netparam) and durationparams of a month', () => {
    expect(workflows[0]!.tasks.map((t) => t.timer)).toEqual([
      { variable: 'paymentTimer' },
      { trigger: 'enabled', duration: 'P1M' },
    ]);
  });

  it("a late-bound timer takes its trigger and expiry from the net variable's initial value; a month ends on the calendar (31 January → 28 February)", () => {
    expect(renewal('2026-01-31T08:00Z')).toEqual([
      '2026-01-31T08:00 task:enabled Await_payment_3',
      '2026-01-31T10:00 task:timed-out Await_payment_3',
      '2026-01-31T10:00 task:completed Await_payment_3',
      '2026-01-31T10:00 task:enabled Send_renewal_4',
      '2026-02-28T10:00 task:timed-out Send_renewal_4',
      '2026-02-28T10:00 task:completed Send_renewal_4',
      '2026-02-28T10:00 case:completed',
    ]);
  });

  it('the case data decides the timer: an xsd:dateTime expiry, or P1Y from a leap day', () => {
    const until = renewal('2026-03-01T00:00Z', {
      paymentTimer: { trigger: 'OnEnabled', expiry: '2026-03-05T12:30:00Z' },
    });
    expect(until[1]).toBe('2026-03-05T12:30 task:timed-out Await_payment_3');
    const yearly = renewal('2028-02-29T00:00Z', { paymentTimer: { trigger: 'OnEnabled', expiry: 'P1Y' } });
    expect(yearly[1]).toBe('2029-02-28T00:00 task:timed-out Await_payment_3');
  });

  it('an OnExecuting late-bound timer waits for the task to start', () => {
    const events = renewal('2026-01-01T00:00Z', { paymentTimer: { trigger: 'OnExecuting', expiry: 'PT5M' } });
    // Never started: no timer fires, the case waits at the payment.
    expect(events).toEqual(['2026-01-01T00:00 task:enabled Await_payment_3']);
  });

  it('a timer variable that holds no valid timer is reported, and the task runs without one', () => {
    const events = renewal('2026-01-01T00:00Z', { paymentTimer: { trigger: 'Whenever', expiry: 'PT5M' } });
    expect(events).toEqual([
      '2026-01-01T00:00 task:enabled Await_payment_3',
      expect.stringMatching(
        /task:timer-invalid Await_payment_3 \(timer variable paymentTimer: .*OnEnabled or OnExecuting/,
      ),
    ]);
    const missing = renewal('2026-01-01T00:00Z', { paymentTimer: { trigger: 'OnEnabled' } });
    expect(missing[1]).toMatch(/no <expiry>/);
  });

  it('bad timers in XML are typed errors naming the task; bad definitions are ConfigErrors', () => {
    const withTimer = (timer: string) =>
      readFileSync(new URL('./fixtures/yawl/renewal.yawl', import.meta.url), 'utf8').replace(
        '<timer><netparam>paymentTimer</netparam></timer>',
        `<timer>${timer}</timer>`,
      );
    for (const [timer, message] of [
      [
        '<trigger>OnEnabled</trigger><durationparams><ticks>x</ticks><interval>DAY</interval></durationparams>',
        /ticks/,
      ],
      [
        '<trigger>OnEnabled</trigger><durationparams><ticks>1</ticks><interval>FORTNIGHT</interval></durationparams>',
        /FORTNIGHT/,
      ],
      ['<trigger>OnEnabled</trigger><expiry>tomorrow</expiry>', /expiry/],
      ['<trigger>OnEnabled</trigger><duration>P1Y</duration><workdays>true</workdays>', /work days/],
      ['<trigger>Later</trigger><duration>PT1H</duration>', /OnEnabled or OnExecuting/],
    ] as const) {
      const attempt = () => importYawl(withTimer(timer));
      expect(attempt).toThrow(YawlImportError);
      expect(attempt).toThrow(message);
      expect(attempt).toThrow(/task Await_payment_3/);
    }
    const definition = workflows[0]!;
    const badTimer = (timer: object) => ({
      ...definition,
      tasks: definition.tasks.map((t, i) => (i === 0 ? { ...t, timer } : t)),
    });
    expect(() =>
      createMemoryYawlEngine({ workflows: [badTimer({ trigger: 'enabled', duration: 'P1X' })] }),
    ).toThrow(ConfigError);
    expect(() =>
      createMemoryYawlEngine({ workflows: [badTimer({ variable: 'paymentTimer', trigger: 'enabled' })] }),
    ).toThrow(/or a variable alone/);
  });
});

describe('calendar durations (property)', () => {
  it('a timer of P<n>M fires n months on, on the same day or the last of a shorter month, at the same time of day', () => {
    const net = {
      id: 'Monthly',
      input: 'i',
      output: 'o',
      conditions: [{ id: 'i', flows: ['wait'] }, { id: 'o' }],
      tasks: [{ id: 'wait', flows: [{ to: 'o' }] }],
    };
    fc.assert(
      fc.property(
        fc.date({
          min: new Date('1970-01-01T00:00Z'),
          max: new Date('2200-01-01T00:00Z'),
          noInvalidDate: true,
        }),
        fc.integer({ min: 1, max: 40 }),
        (start, months) => {
          const scheduler = new VirtualTimeScheduler(undefined, Infinity);
          scheduler.frame = start.getTime();
          const engine = createMemoryYawlEngine({
            scheduler,
            workflows: [
              {
                ...net,
                tasks: [{ ...net.tasks[0]!, timer: { trigger: 'enabled', duration: `P${months}M` } }],
              },
            ],
          });
          let firedAt: number | undefined;
          engine.events.subscribe((e: YawlEvent) => e.type === 'task:timed-out' && (firedAt = e.at));
          engine.createCase('Monthly');
          scheduler.flush();
          const fired = new Date(firedAt!);
          const monthIndex = start.getUTCFullYear() * 12 + start.getUTCMonth() + months;
          expect(fired.getUTCFullYear() * 12 + fired.getUTCMonth()).toBe(monthIndex);
          const lastDay = new Date(
            Date.UTC(Math.floor(monthIndex / 12), (monthIndex % 12) + 1, 0),
          ).getUTCDate();
          expect(fired.getUTCDate()).toBe(Math.min(start.getUTCDate(), lastDay));
          expect(firedAt! % 86_400_000).toBe(start.getTime() % 86_400_000);
        },
      ),
    );
  });
});
