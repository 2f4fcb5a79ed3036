import { map, Subject, take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  cron,
  evaluateTrigger,
  every,
  idle,
  type Mutation,
  onEvent,
  onMutation,
  type TriggerFire,
  triggerFrom,
} from 'rxdaemon';
import { virtualClock } from 'rxdaemon/testing';
import { marbleScheduler } from './helpers.js';

const iso = (ms: number): string => new Date(ms).toISOString();

/** Everything `source` fires while the clock advances `hours`, as ISO instants. */
function firesOver(
  source: (clock: ReturnType<typeof virtualClock>) => import('rxjs').Observable<TriggerFire>,
  start: string,
  hours: number,
) {
  const clock = virtualClock(start);
  const fired: string[] = [];
  const subscription = source(clock).subscribe((fire) => {
    expect(fire.at).toBe(fire.scheduledFor);
    fired.push(iso(fire.at));
  });
  clock.advanceBy(hours * 3_600_000);
  subscription.unsubscribe();
  return fired;
}

describe('cron', () => {
  it('fires at the exact instants across the spring-forward DST change in Europe/Paris', () => {
    // 2026-03-29: at 02:00 CET (01:00Z) clocks jump to 03:00 CEST.
    expect(
      firesOver(
        (clock) => cron('0 * * * *', { tz: 'Europe/Paris', scheduler: clock }),
        '2026-03-28T23:30:00Z',
        4,
      ),
    ).toEqual([
      '2026-03-29T00:00:00.000Z', // 01:00 CET
      '2026-03-29T01:00:00.000Z', // 03:00 CEST: 02:00 local never happens
      '2026-03-29T02:00:00.000Z',
      '2026-03-29T03:00:00.000Z',
    ]);
    // A daily 02:30 local job: 01:30Z in winter, shifted past the gap on the change day, 00:30Z in summer.
    expect(
      firesOver(
        (clock) => cron('30 2 * * *', { tz: 'Europe/Paris', scheduler: clock }),
        '2026-03-27T12:00:00Z',
        72,
      ),
    ).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-29T01:30:00.000Z', '2026-03-30T00:30:00.000Z']);
  });

  it('fires once per real hour across the fall-back change in America/New_York', () => {
    // 2026-11-01: at 02:00 EDT (06:00Z) clocks go back to 01:00 EST.
    expect(
      firesOver(
        (clock) => cron('0 * * * *', { tz: 'America/New_York', scheduler: clock }),
        '2026-11-01T04:30:00Z',
        4,
      ),
    ).toEqual([
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T07:00:00.000Z',
      '2026-11-01T08:00:00.000Z',
    ]);
  });

  it('supports a seconds field, macros and an end date (then completes)', () => {
    expect(
      firesOver((clock) => cron('*/20 * * * * *', { scheduler: clock }), '2026-01-01T00:00:00Z', 1 / 60),
    ).toEqual(['2026-01-01T00:00:20.000Z', '2026-01-01T00:00:40.000Z', '2026-01-01T00:01:00.000Z']);
    const clock = virtualClock('2026-01-01T12:00:00Z');
    const fired: string[] = [];
    let completed = false;
    cron('@daily', { scheduler: clock, endDate: Date.parse('2026-01-03T12:00:00Z') }).subscribe({
      next: (fire) => fired.push(iso(fire.at)),
      complete: () => (completed = true),
    });
    clock.advanceBy(5 * 24 * 3_600_000);
    expect(fired).toEqual(['2026-01-02T00:00:00.000Z', '2026-01-03T00:00:00.000Z']);
    expect(completed).toBe(true);
  });

  it('never fires for a time already past, and stops when unsubscribed', () => {
    marbleScheduler().run(({ expectObservable }) => {
      // Virtual time starts at the epoch; every second, first at 1 s, unsubscribed at 2.5 s.
      const fires = cron('* * * * * *').pipe(map((f) => f.scheduledFor));
      expectObservable(fires, '^ 2500ms !').toBe('1s a 999ms b', { a: 1000, b: 2000 });
    });
  });

  it('rejects a bad expression and an unknown zone, naming both', () => {
    try {
      cron('61 * * * *', { tz: 'Mars/Olympus' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).fields).toEqual(['tz', 'expression']);
      expect(String(error)).toMatch(/Mars\/Olympus.*61|61.*Mars/s);
    }
  });
});

describe('every, idle, onMutation, onEvent', () => {
  it('every(ms) first fires after ms, then every ms, until unsubscribed', () => {
    marbleScheduler().run(({ expectObservable }) => {
      expectObservable(every(3).pipe(map((f) => f.scheduledFor)), '^---------!').toBe('---a--b--c', {
        a: 3,
        b: 6,
        c: 9,
      });
    });
  });

  it('idle fires once after ms of silence, and re-arms on the next activity', () => {
    marbleScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const activity = hot('--a-------b-----');
      expectObservable(idle(activity, 3).pipe(map((f) => f.at))).toBe('-----x-------y--', { x: 5, y: 13 });
      expectSubscriptions(activity.subscriptions).toBe('^');
    });
  });

  it('idle fires at arming time + ms when nothing happens at all', () => {
    marbleScheduler().run(({ hot, expectObservable }) => {
      expectObservable(idle(hot('------'), 2).pipe(map((f) => f.kind))).toBe('--i---', { i: 'idle' });
    });
  });

  it('onMutation filters by entity and kinds; the mutation is the cause', () => {
    marbleScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const values: Record<string, Mutation> = {
        o: { entity: 'order', kind: 'create', id: '1' },
        u: { entity: 'user', kind: 'update' },
        d: { entity: 'order', kind: 'delete', id: '1' },
      };
      const mutations = hot('-o-u-d-o-|', values);
      const fires = onMutation(mutations, { entity: 'order', kinds: ['create'] }).pipe(map((f) => f.cause));
      expectObservable(fires, '^------!').toBe('-o-----', values);
      expectSubscriptions(mutations.subscriptions).toBe('^------!');
    });
  });

  it('onEvent matches a name or a pattern and an optional filter', () => {
    marbleScheduler().run(({ hot, expectObservable }) => {
      const values: Record<string, { name: string; payload?: number }> = {
        p: { name: 'payment.received', payload: 10 },
        q: { name: 'payment.refused' },
        r: { name: 'payment.received', payload: 0 },
      };
      const events = hot('-p-q-r-|', values);
      expectObservable(onEvent(events, 'payment.received').pipe(map((f) => f.kind))).toBe('-e---e-|', {
        e: 'event',
      });
      expectObservable(
        onEvent(events, /^payment\./, (e) => e.name !== 'payment.received' || e.payload !== 0).pipe(
          map((f) => f.cause),
        ),
      ).toBe('-p-q---|', values);
    });
  });

  it('triggerFrom builds the trigger a config describes, and names a missing source', () => {
    marbleScheduler().run(({ hot, expectObservable }) => {
      expectObservable(
        triggerFrom({ type: 'interval', ms: 2 }).pipe(
          take(2),
          map((f) => f.kind),
        ),
      ).toBe('--a-(a|)', { a: 'interval' });
      const events = hot('-x-', { x: { name: 'go' } });
      expectObservable(triggerFrom({ type: 'event', name: 'go' }, { events }).pipe(map((f) => f.kind))).toBe(
        '-e-',
        { e: 'event' },
      );
    });
    expect(() => triggerFrom({ type: 'reactive', entity: 'order' })).toThrow(/mutations/);
    expect(() => triggerFrom({ type: 'interval', ms: -5 })).toThrow(ConfigError);
    expect(() => triggerFrom({ type: 'cron', expression: 'every day' })).toThrow(/expression/);
    const subject = new Subject<Mutation>();
    expect(() => triggerFrom({ type: 'reactive' }, { mutations: subject })).not.toThrow();
  });
});

describe('evaluateTrigger', () => {
  it('interval: never executed is due; due again at last + ms, equality included; next is always later than now', () => {
    const config = { type: 'interval', ms: 1000 } as const;
    expect(evaluateTrigger(config, { now: 5000 })).toEqual({ shouldExecute: true, nextExecutionTime: 6000 });
    expect(evaluateTrigger(config, { now: 5999, lastExecutedAt: 5000 })).toEqual({
      shouldExecute: false,
      nextExecutionTime: 6000,
    });
    expect(evaluateTrigger(config, { now: 6000, lastExecutedAt: 5000 })).toEqual({
      shouldExecute: true,
      nextExecutionTime: 7000,
    });
  });

  it('cron: never executed is due at its next match; afterwards when a match has passed since the last run', () => {
    const config = { type: 'cron', expression: '0 * * * *' } as const;
    const t = (s: string) => Date.parse(s);
    expect(evaluateTrigger(config, { now: t('2026-01-01T10:15:00Z') })).toEqual({
      shouldExecute: false,
      nextExecutionTime: t('2026-01-01T11:00:00Z'),
    });
    expect(
      evaluateTrigger(config, { now: t('2026-01-01T11:00:00Z'), lastExecutedAt: t('2026-01-01T10:00:00Z') }),
    ).toEqual({
      shouldExecute: true,
      nextExecutionTime: t('2026-01-01T12:00:00Z'), // due now: the match after this one
    });
    expect(
      evaluateTrigger(config, { now: t('2026-01-01T10:59:59Z'), lastExecutedAt: t('2026-01-01T10:00:00Z') })
        .shouldExecute,
    ).toBe(false);
  });

  it('idle: due ms after the last activity, once; event-driven kinds are never due by time', () => {
    const config = { type: 'idle', ms: 100 } as const;
    expect(evaluateTrigger(config, { now: 150, lastActivityAt: 50 })).toEqual({
      shouldExecute: true,
      nextExecutionTime: Infinity, // fires once, then waits for the next activity
    });
    expect(evaluateTrigger(config, { now: 120, lastActivityAt: 50 })).toEqual({
      shouldExecute: false,
      nextExecutionTime: 150,
    });
    expect(evaluateTrigger(config, { now: 400, lastActivityAt: 50, lastExecutedAt: 150 })).toEqual({
      shouldExecute: false,
      nextExecutionTime: Infinity,
    });
    expect(evaluateTrigger({ type: 'event', name: 'x' }, { now: 1 })).toEqual({
      shouldExecute: false,
      nextExecutionTime: Infinity,
    });
    expect(evaluateTrigger({ type: 'reactive' }, { now: 1 }).nextExecutionTime).toBe(Infinity);
  });

  it('a state that is none is named: a now that is no finite number, a misspelt field, no state', () => {
    const config = { type: 'interval', ms: 1000 } as const;
    expect(() => evaluateTrigger(config, { now: '5' as never })).toThrow(/trigger state: now/);
    expect(() => evaluateTrigger(config, { now: Number.NaN })).toThrow(ConfigError);
    expect(() => evaluateTrigger(config, { now: 5, lastExecuted: 1 } as never)).toThrow(/lastExecuted/);
    expect(() => evaluateTrigger(config, undefined as never)).toThrow(ConfigError);
  });
});

describe('trigger sources are checked at the call', () => {
  it('idle, onEvent and onMutation name a source that is no Observable', () => {
    expect(() => idle(5 as never, 10)).toThrow(/idle: activity: must be an Observable/);
    expect(() => onEvent([] as never, 'x')).toThrow(/onEvent: events: must be an Observable/);
    expect(() => onMutation(undefined as never)).toThrow(/onMutation: mutations: must be an Observable/);
  });
});
