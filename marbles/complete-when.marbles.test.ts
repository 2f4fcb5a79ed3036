import { filter, map, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  allSettled,
  allSucceed,
  anyOf,
  completeWhen,
  ConfigError,
  type DecidedEvent,
  type Rule,
  successRate,
  threshold,
  toleratedFailures,
  when,
  workerPool,
} from 'rxdaemon/operators';
import { marbleScheduler } from './helpers.js';

type Outcomes = Record<string, string>;

/** Runs one marble scenario: each input letter names a cold task; returns the decision marble. */
function decide(
  rule: Rule,
  inputs: string,
  tasks: Outcomes,
  concurrency: number,
  expected: {
    marble: string;
    decided: Partial<DecidedEvent>;
    subscriptions: Record<string, string | string[]>;
  },
): void {
  marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const cells: Record<string, ReturnType<typeof cold<string>>> = {};
    for (const [name, marble] of Object.entries(tasks)) cells[name] = cold(marble);
    const decided = cold(inputs).pipe(
      workerPool((name: string) => cells[name]!, { concurrency }),
      completeWhen(rule),
      filter((e): e is DecidedEvent => e.type === 'decided'),
    );
    expectObservable(decided).toBe(expected.marble, { d: expect.objectContaining(expected.decided) });
    for (const [name, subs] of Object.entries(expected.subscriptions)) {
      expectSubscriptions(cells[name]!.subscriptions).toBe(subs);
    }
  });
}

describe('completeWhen', () => {
  it('threshold(2): decides when the second success arrives and cancels the third at that frame', () => {
    marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const w = cold('--a|    ');
      const x = cold('----b|  ');
      const y = cold('------c|');
      const tasks: Record<string, Observable<string>> = { w, x, y };
      const values = cold('(wxy|)').pipe(
        workerPool((name: string) => tasks[name]!, { concurrency: 3 }),
        completeWhen(threshold(2)),
        filter((e) => e.type === 'succeeded' || e.type === 'decided'),
        map((e) => (e.type === 'succeeded' ? e.value : `${e.status}:${e.reason}`)),
      );
      expectObservable(values).toBe('---a-(bd|)', { a: 'a', b: 'b', d: 'completed:threshold' });
      expectSubscriptions(w.subscriptions).toBe('^--!     '); // completed on its own at 3
      expectSubscriptions(x.subscriptions).toBe('^----!   '); // the deciding one, completes at 5
      expectSubscriptions(y.subscriptions).toBe('^----!   '); // cancelled at frame 5, not 7
    });
  });

  it('counts the torn-down instances as cancelled in the decision', () => {
    decide(threshold(1), '(abc|)', { a: '-a|', b: '----b|', c: '-----c|' }, 2, {
      marble: '--(d|)',
      decided: {
        status: 'completed',
        reason: 'threshold',
        counters: {
          admitted: 3,
          pending: 0,
          running: 0,
          succeeded: 1,
          failed: 0,
          cancelled: 2,
          inputClosed: true,
        },
      },
      subscriptions: { a: '^-!', b: '^-!', c: [] },
    });
  });

  it('threshold(3): fails as unreachable as soon as too few can still succeed', () => {
    decide(threshold(3), '(abc|)', { a: '-a|', b: '--#', c: '------c|' }, 3, {
      marble: '--(d|)',
      decided: { status: 'failed', reason: 'unreachable' },
      subscriptions: { a: '^-!', b: '^-!', c: '^-!' },
    });
  });

  it('threshold(1) fails on empty input at the frame input closes', () => {
    decide(threshold(1), '---|', {}, 2, {
      marble: '---(d|)',
      decided: { reason: 'unreachable' },
      subscriptions: {},
    });
  });

  it('allSettled(): waits for every instance, failures included, and completes empty input with all-settled', () => {
    decide(allSettled(), '(abc|)', { a: '-#', b: '---b|', c: '--c|' }, 2, {
      marble: '----(d|)',
      decided: { status: 'completed', reason: 'all-settled' },
      subscriptions: { a: '^!', b: '^---!', c: '-^--!' }, // c takes a's slot at frame 1
    });
    decide(allSettled(), '--|', {}, 1, {
      marble: '--(d|)',
      decided: { reason: 'all-settled' },
      subscriptions: {},
    });
  });

  it('allSucceed(): the first failure cancels the rest (first-failure)', () => {
    decide(allSucceed(), '(abc|)', { a: '----a|', b: '--#', c: '-----c|' }, 2, {
      marble: '--(d|)',
      decided: { status: 'failed', reason: 'first-failure' },
      subscriptions: { a: '^-!', b: '^-!', c: [] },
    });
  });

  it('toleratedFailures({ count: 1 }): the second failure decides at once', () => {
    decide(toleratedFailures({ count: 1 }), '(abcd|)', { a: '-#', b: '--#', c: '------c|', d: '-d|' }, 4, {
      marble: '--(d|)',
      decided: { status: 'failed', reason: 'tolerance-exceeded' },
      subscriptions: { a: '^!', b: '^-!', c: '^-!', d: '^-!' },
    });
  });

  it('toleratedFailures({ percentage }): judged on admitted, completes all-settled within tolerance', () => {
    decide(toleratedFailures({ percentage: 50 }), '(abcd|)', { a: '-#', b: '--#', c: '---c|', d: '-d|' }, 4, {
      marble: '----(d|)',
      decided: { status: 'completed', reason: 'all-settled' },
      subscriptions: { a: '^!', b: '^-!', c: '^---!', d: '^-!' },
    });
    // With input still open, 1 failure of 1 admitted is over 50% once minSample (1) is reached.
    decide(toleratedFailures({ percentage: 50 }), 'a---b|', { a: '-#', b: 'b|' }, 1, {
      marble: '-(d|)',
      decided: { reason: 'tolerance-exceeded' },
      subscriptions: { a: '^!', b: [] },
    });
  });

  it('successRate(0.5): completes once half of the admitted succeeded, input closed', () => {
    decide(successRate(0.5), '(abcd|)', { a: '-a|', b: '--#', c: '---c|', d: '-------d|' }, 4, {
      marble: '----(d|)',
      decided: { status: 'completed', reason: 'threshold' },
      subscriptions: { a: '^-!', b: '^-!', c: '^---!', d: '^---!' },
    });
  });

  it('when(predicate): decides with `rule` when the predicate holds (WCP-36)', () => {
    decide(
      when((c) => c.succeeded + c.failed >= 2),
      '(abc|)',
      { a: '-#', b: '--b|', c: '-----c|' },
      3,
      {
        marble: '---(d|)',
        decided: { status: 'completed', reason: 'rule' },
        subscriptions: { a: '^!', b: '^--!', c: '^--!' },
      },
    );
  });

  it('anyOf(...): the first rule that decides wins', () => {
    decide(anyOf(allSucceed(), threshold(2)), '(abc|)', { a: '-a|', b: '--b|', c: '-----#' }, 3, {
      marble: '---(d|)',
      decided: { status: 'completed', reason: 'threshold' },
      subscriptions: { a: '^-!', b: '^--!', c: '^--!' },
    });
  });

  it('a custom rule that never decides ends as all-settled when the pool completes', () => {
    decide(() => 'continue', '(ab|)', { a: '-a|', b: '--b|' }, 2, {
      marble: '---(d|)',
      decided: { status: 'completed', reason: 'all-settled' },
      subscriptions: { a: '^-!', b: '^--!' },
    });
  });

  it('rejects bad rule options with a ConfigError naming the field', () => {
    expect(() => threshold(0)).toThrow(ConfigError);
    expect(() => threshold(1.5)).toThrow(/n:/);
    expect(() => successRate(1.5)).toThrow(/ratio/);
    expect(() => toleratedFailures({})).toThrow(/count/);
    expect(() => toleratedFailures({ percentage: 120, count: -1 })).toThrow(
      /count.*percentage|percentage.*count/,
    );
    expect(() => anyOf()).toThrow(ConfigError);
    expect(() => completeWhen(5 as unknown as Rule)).toThrow(/rule: must be a function/);
  });
});
