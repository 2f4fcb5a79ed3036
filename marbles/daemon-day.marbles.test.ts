import { map, Subject, timer } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createDaemon, type DaemonEvent } from 'rxdaemon';
import { marbleScheduler } from './helpers.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const hhmm = (ms: number): string =>
  `${String(Math.floor(ms / HOUR)).padStart(2, '0')}:${String(Math.floor((ms % HOUR) / MIN)).padStart(2, '0')}`;

/**
 * A whole day on a virtual clock (frame 0 = 1970-01-01 00:00 UTC): an hourly cron report (30 min), a
 * sync every 15 minutes (20 min, so every other one finds itself still running and is skipped) and a
 * cleanup after 2 hours without user activity (10 min), all on a pool of 2.
 */
function simulateDay(): DaemonEvent[] {
  const events: DaemonEvent[] = [];
  const scheduler = marbleScheduler();
  scheduler.run(({ hot }) => {
    const activity = new Subject<string>();
    hot('540m a 29m 59.999s b 269m 59.999s c').subscribe((who) => activity.next(who)); // 09:00, 09:30, 14:00
    const daemon = createDaemon({ maxConcurrent: 2, sources: { activity } });
    daemon.schedule({
      id: 'report',
      trigger: { type: 'cron', expression: '0 * * * *' },
      run: () => timer(30 * MIN).pipe(map(() => 'report')),
    });
    daemon.schedule({
      id: 'sync',
      trigger: { type: 'interval', ms: 15 * MIN },
      run: () => timer(20 * MIN).pipe(map(() => 'synced')),
    });
    daemon.schedule({
      id: 'cleanup',
      trigger: { type: 'idle', ms: 2 * HOUR },
      run: () => timer(10 * MIN).pipe(map(() => 'clean')),
    });
    daemon.events.subscribe((event) => events.push(event));
    daemon.start();
    scheduler.schedule(() => void daemon.stop({ drainMs: 10 * MIN }), 24 * HOUR - MIN);
  });
  return events;
}

const line = (e: DaemonEvent): string =>
  `${hhmm(e.at)} ${'operationId' in e ? `${e.operationId} ` : ''}${e.type.replace(/^operation:/, '')}`;

describe('a simulated day under maxConcurrent: 2', () => {
  const events = simulateDay();

  it('runs every operation the right number of times and skips exactly the overlapping syncs', () => {
    const count = (operationId: string, type: DaemonEvent['type']) =>
      events.filter((e) => e.type === type && 'operationId' in e && e.operationId === operationId).length;
    expect([
      count('sync', 'operation:enqueued'),
      count('sync', 'operation:succeeded'),
      count('sync', 'operation:skipped'),
    ]).toEqual([95, 48, 47]);
    expect([count('report', 'operation:succeeded'), count('report', 'operation:skipped')]).toEqual([23, 0]);
    expect(count('cleanup', 'operation:succeeded')).toBe(3);
    // Every skip is a sync fired on the hour or half hour, while the previous one still ran.
    const skips = events.filter((e) => e.type === 'operation:skipped');
    expect(
      skips.every((e) => 'operationId' in e && e.operationId === 'sync' && e.at % (30 * MIN) === 0),
    ).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'daemon:stopped', cancelled: 0 });
  });

  it('never runs more than 2 operations at once', () => {
    let active = 0;
    let most = 0;
    for (const e of events) {
      if (e.type === 'operation:started') most = Math.max(most, ++active);
      if (
        (e.type === 'operation:succeeded' ||
          e.type === 'operation:failed' ||
          e.type === 'operation:cancelled') &&
        e.result.startedAt !== undefined
      )
        active--;
    }
    expect(most).toBe(2);
  });

  it('makes the 02:00 report wait for a slot when the idle cleanup takes the second one', () => {
    const window = events
      .filter((e) => e.at >= 2 * HOUR && e.at <= 2 * HOUR + 15 * MIN && e.type !== 'operation:enqueued')
      .map(line);
    expect(window).toEqual([
      '02:00 cleanup started', // idle since 00:00: its timer, armed first, fires first; takes the free slot
      '02:00 sync skipped', // the sync of 01:45 still runs
      '02:05 sync succeeded', // the sync of 01:45 frees its slot…
      '02:05 report started', // …and the report waiting since 02:00 takes it
      '02:10 cleanup succeeded',
      '02:15 sync started',
    ]);
  });

  it('fires the idle cleanup 2 hours after the last activity, once per silence', () => {
    const cleanups = events
      .filter((e) => e.type === 'operation:enqueued' && e.operationId === 'cleanup')
      .map((e) => hhmm(e.at));
    expect(cleanups).toEqual(['02:00', '11:30', '16:00']);
    const started = events
      .filter((e) => e.type === 'operation:started' && e.operationId === 'cleanup')
      .map((e) => hhmm(e.at));
    expect(started).toEqual(['02:00', '11:30', '16:00']); // at 11:30 the report ending in that frame frees the slot
  });
});
