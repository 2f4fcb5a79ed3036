import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { MIEvent } from '../src/instances/mi-event.js';
import type { DaemonEvent } from '../src/operations/types.js';
import { EventFeed } from '../src/server/event-feed.js';
import type { YawlEvent } from '../src/yawl/engine.js';

function feedOf(capacity: number) {
  const daemon = new Subject<DaemonEvent>();
  const mi = new Subject<MIEvent<unknown, unknown>>();
  const yawl = new Subject<YawlEvent>();
  const feed = new EventFeed({ daemon, mi, yawl }, capacity);
  const started = (runId: string): DaemonEvent => ({
    type: 'operation:started',
    daemonId: 'd',
    at: 1,
    operationId: 'op',
    runId,
  });
  const created = (caseId: string) =>
    ({ type: 'case:created', caseId, workflowId: 'w', at: 2 }) as unknown as YawlEvent;
  const miEvent = (index: number) =>
    ({
      type: 'started',
      taskId: 't',
      caseId: 'c',
      at: 3,
      index,
      instanceId: `t#${index}`,
    }) as unknown as MIEvent<unknown, unknown>;
  return { feed, daemon, mi, yawl, started, created, miEvent };
}

describe('EventFeed', () => {
  it('replays events that came while no client listened with their ids, sources and data', () => {
    const { feed, daemon, mi, yawl, started, created, miEvent } = feedOf(8);
    daemon.next(started('op#1'));
    mi.next(miEvent(0));
    yawl.next(created('c1'));
    const { entries, complete } = feed.replay(0);
    expect(complete).toBe(true);
    expect(entries.map((e) => [e.id, e.source])).toEqual([
      [1, 'daemon'],
      [2, 'mi'],
      [3, 'yawl'],
    ]);
    expect(entries[0]!.frame).toBe(
      `id: 1\nevent: daemon\ndata: ${JSON.stringify({ source: 'daemon', ...started('op#1') })}\n\n`,
    );
    expect(entries[2]!.frame).toContain('"caseId":"c1"');
    // The same entry (and frame) for a second reader, and for a listener that came later.
    expect(feed.replay(0).entries[1]).toBe(entries[1]);
    const live: number[] = [];
    feed.listen((entry) => live.push(entry.id));
    daemon.next(started('op#2'));
    expect(live).toEqual([4]);
    expect(feed.replay(3).entries.map((e) => e.frame)).toEqual([expect.stringContaining('"op#2"')]);
  });

  it('keeps the last `capacity` events: an older id is reported missing, never another event in its slot', () => {
    const { feed, daemon, started } = feedOf(3);
    for (let i = 1; i <= 5; i++) daemon.next(started(`op#${i}`));
    const { entries, complete } = feed.replay(0);
    expect(complete).toBe(false);
    expect(entries.map((e) => e.id)).toEqual([3, 4, 5]);
    expect(entries.map((e) => e.frame.includes(`"op#${e.id}"`))).toEqual([true, true, true]);
  });
});
