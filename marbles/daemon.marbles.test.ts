import { filter, map, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createDaemon, type DaemonEvent, type OverlapPolicy, type TriggerFire } from 'rxdaemon';
import { marbleScheduler } from './helpers.js';

const fire: TriggerFire = { kind: 'event', at: 0 };

/** One operation fired by `fires`, each run a subscription to `task`; returns its finished-run marble. */
function overlapScenario(
  overlap: OverlapPolicy,
  expected: { outcomes: string; subscriptions: string[] },
): void {
  marbleScheduler().run(({ cold, hot, expectObservable, expectSubscriptions }) => {
    const task = cold('---x|');
    const fires = hot('f-f-----f', { f: fire }) as Observable<TriggerFire>;
    const daemon = createDaemon({ maxConcurrent: 5 });
    daemon.schedule({ id: 'job', trigger: fires, run: () => task, overlap });
    const outcomes = daemon.events.pipe(
      filter((e) => e.type === 'operation:succeeded' || e.type === 'operation:skipped'),
      map((e) => (e.type === 'operation:skipped' ? 's' : 'd')),
    );
    expectObservable(outcomes).toBe(expected.outcomes);
    expectSubscriptions(task.subscriptions).toBe(expected.subscriptions);
    daemon.start();
  });
}

describe('daemon overlap policies (virtual time)', () => {
  it('skip: a firing that finds the operation running is skipped at once', () => {
    overlapScenario('skip', { outcomes: '--s-d-------d', subscriptions: ['^---!', '--------^---!'] });
  });

  it('queue: it waits for the running one and starts when it ends', () => {
    overlapScenario('queue', {
      outcomes: '----d---d---d',
      subscriptions: ['^---!', '----^---!', '--------^---!'],
    });
  });

  it('allow: it runs alongside', () => {
    overlapScenario('allow', {
      outcomes: '----d-d-----d',
      subscriptions: ['^---!', '--^---!', '--------^---!'],
    });
  });

  it('maxConcurrent is shared by all operations: a third run waits for a free slot', () => {
    marbleScheduler().run(({ cold, hot, expectSubscriptions }) => {
      const a = cold('----a|');
      const b = cold('--b|');
      const c = cold('-c|');
      const daemon = createDaemon({ maxConcurrent: 2 });
      daemon.schedule({ id: 'a', trigger: hot('f', { f: fire }) as Observable<TriggerFire>, run: () => a });
      daemon.schedule({ id: 'b', trigger: hot('f', { f: fire }) as Observable<TriggerFire>, run: () => b });
      daemon.schedule({ id: 'c', trigger: hot('f', { f: fire }) as Observable<TriggerFire>, run: () => c });
      daemon.start();
      expectSubscriptions(a.subscriptions).toBe('^----!');
      expectSubscriptions(b.subscriptions).toBe('^--!');
      expectSubscriptions(c.subscriptions).toBe('---^-!'); // b's slot, at 3
    });
  });

  it('stop cancels what still runs after drainMs, tearing its subscription down at the deadline', () => {
    const scheduler = marbleScheduler();
    const events: DaemonEvent['type'][] = [];
    scheduler.run(({ cold, hot, expectSubscriptions }) => {
      const long = cold('----------x|');
      const daemon = createDaemon({ maxConcurrent: 1 });
      daemon.schedule({
        id: 'long',
        trigger: hot('f', { f: fire }) as Observable<TriggerFire>,
        run: () => long,
      });
      daemon.events.subscribe((e) => events.push(e.type));
      daemon.start();
      scheduler.schedule(() => void daemon.stop({ drainMs: 3 }), 2);
      expectSubscriptions(long.subscriptions).toBe('^----!'); // stop at 2 + drain 3
    });
    expect(events).toEqual([
      'daemon:started',
      'operation:enqueued',
      'operation:started',
      'operation:cancelled',
      'daemon:stopped',
    ]);
  });

  it('run() is the same run as a cold Observable: unsubscribing cancels it, queued or running', () => {
    marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const task = cold('-----x|');
      const daemon = createDaemon({ maxConcurrent: 1 });
      daemon.schedule({ id: 'job', run: () => task, overlap: 'queue' });
      daemon.start();
      const status = map((r: { status: string }) => r.status);
      expectObservable(daemon.run('job').pipe(status), '^--!').toBe('---'); // cancelled while running
      expectObservable(daemon.run('job').pipe(status), '^-!').toBe('--'); // given up while queued: never runs
      expectObservable(daemon.run('job').pipe(status)).toBe('---------(s|)', { s: 'succeeded' }); // 3 → 9
      expectSubscriptions(task.subscriptions).toBe(['^--!', '---^-----!']);
    });
  });
});
