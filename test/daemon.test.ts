import { describe, expect, it } from 'vitest';
import {
  CancelledError,
  ConfigError,
  createDaemon,
  DaemonNotRunningError,
  type DaemonEvent,
  DuplicateOperationError,
  TimeoutError,
  UnknownOperationError,
} from 'rxdaemon';
import { failOnUnhandledRejections, sleep } from './support.js';

failOnUnhandledRejections();

describe('daemon.execute (real promises)', () => {
  it('resolves with the result whatever the outcome, through one pool', async () => {
    const daemon = createDaemon({ maxConcurrent: 2 });
    daemon.schedule({
      id: 'double',
      run: ({ payload }) => Promise.resolve((payload as number) * 2),
      overlap: 'allow',
    });
    daemon.schedule({ id: 'boom', run: () => Promise.reject(new Error('boom')) });
    daemon.start();
    const ok = await daemon.execute<number>('double', 21);
    expect(ok).toMatchObject({ id: 'double', status: 'succeeded', value: 42, attempts: 1 });
    expect(ok.runId).toBe('double#1');
    const bad = await daemon.execute('boom');
    expect(bad).toMatchObject({ status: 'failed', error: new Error('boom') });
    await daemon.stop();
  });

  it('skips, queues or allows a run that finds its operation busy', async () => {
    const daemon = createDaemon({ maxConcurrent: 10 });
    const slow = (ms: number) => () => sleep(ms, 'done');
    daemon.schedule({ id: 'skip', run: slow(20), overlap: 'skip' });
    daemon.schedule({ id: 'queue', run: slow(20), overlap: 'queue' });
    daemon.schedule({ id: 'allow', run: slow(20), overlap: 'allow' });
    daemon.start();
    const [s1, s2, q1, q2, a1, a2] = await Promise.all([
      daemon.execute('skip'),
      daemon.execute('skip'),
      daemon.execute('queue'),
      daemon.execute('queue'),
      daemon.execute('allow'),
      daemon.execute('allow'),
    ]);
    expect([s1.status, s2.status]).toEqual(['succeeded', 'skipped']);
    expect([q1.status, q2.status]).toEqual(['succeeded', 'succeeded']);
    expect(q2.startedAt!).toBeGreaterThanOrEqual(q1.endedAt); // ran after, not alongside
    expect(a2.startedAt!).toBeLessThan(a1.endedAt); // ran alongside: started before the first ended
    await daemon.stop();
  });

  it('applies timeoutMs and retry per operation, aborting the timed-out attempt', async () => {
    const daemon = createDaemon();
    const signals: AbortSignal[] = [];
    daemon.schedule({
      id: 'hangs',
      timeoutMs: 15,
      retry: { maxAttempts: 2, initialDelayMs: 1 },
      run: ({ signal }) => (signals.push(signal), new Promise<never>(() => undefined)),
    });
    daemon.start();
    const events: DaemonEvent['type'][] = [];
    daemon.events.subscribe((e) => events.push(e.type));
    const result = await daemon.execute('hangs');
    expect(result).toMatchObject({ status: 'failed', attempts: 2 });
    expect(result.error).toBeInstanceOf(TimeoutError);
    expect(signals.map((s) => s.aborted)).toEqual([true, true]);
    expect(events).toEqual([
      'operation:enqueued',
      'operation:started',
      'operation:retrying',
      'operation:failed',
    ]);
    await daemon.stop();
  });

  it('stop lets running runs finish within drainMs, then cancels them with aborted signals', async () => {
    const daemon = createDaemon({ maxConcurrent: 1 });
    let signal: AbortSignal | undefined;
    daemon.schedule({ id: 'quick', run: () => sleep(10, 'quick'), overlap: 'allow' });
    daemon.schedule({
      id: 'forever',
      run: (ctx) => ((signal = ctx.signal), sleep(10_000, 'late', ctx.signal)),
    });
    daemon.start();
    const quick = daemon.execute('quick');
    const forever = daemon.execute('forever');
    const waiting = daemon.execute('quick');
    await sleep(15, null);
    const stopped: DaemonEvent[] = [];
    daemon.events.subscribe((e) => e.type === 'daemon:stopped' && stopped.push(e));
    await daemon.stop({ drainMs: 30 });
    expect((await quick).status).toBe('succeeded');
    expect(await forever).toMatchObject({ status: 'cancelled' });
    expect((await waiting).status).toBe('cancelled');
    expect(signal?.reason).toBeInstanceOf(CancelledError);
    expect(stopped).toEqual([expect.objectContaining({ type: 'daemon:stopped', cancelled: 2 })]); // the running one and the waiting one
    expect(daemon.health()).toEqual({ status: 'stopped', reason: 'stopped' });
  });

  it('rejects bad calls with typed errors and registers nothing half-way', async () => {
    const daemon = createDaemon({ id: 'ops' });
    daemon.schedule({ id: 'a', run: () => Promise.resolve(1) });
    await expect(daemon.execute('a')).rejects.toBeInstanceOf(DaemonNotRunningError);
    await expect(daemon.execute('a')).rejects.toThrow(/ops.*idle.*start\(\)/);
    expect(() => daemon.schedule({ id: 'a', run: () => Promise.resolve(2) })).toThrow(
      DuplicateOperationError,
    );
    expect(() => daemon.schedule({ id: 'b', run: 'nope' as never, overlap: 'sometimes' as never })).toThrow(
      /run.*overlap/s,
    );
    expect(() =>
      daemon.schedule({ id: 'c', run: () => [1], trigger: { type: 'cron', expression: '99 * * * *' } }),
    ).toThrow(ConfigError);
    expect(() => daemon.schedule({ id: 'd', run: () => [1], trigger: { type: 'reactive' } })).toThrow(
      /mutations/,
    );
    daemon.start();
    await expect(daemon.execute('b')).rejects.toBeInstanceOf(UnknownOperationError);
    await expect(daemon.execute('c')).rejects.toBeInstanceOf(UnknownOperationError);
    expect(() => daemon.unschedule('zzz')).toThrow(UnknownOperationError);
    expect(() => createDaemon({ maxConcurrent: 0, completedCacheSize: -1 })).toThrow(
      /maxConcurrent.*completedCacheSize/s,
    );
    await daemon.stop();
  });

  it('reports metrics, health and recent results derived from its events', async () => {
    const daemon = createDaemon({ completedCacheSize: 3, health: { maxFailureRatio: 0.5, minSample: 9 } });
    daemon.schedule({ id: 'ok', run: () => sleep(2, 'ok'), overlap: 'allow' });
    daemon.schedule({ id: 'bad', run: () => Promise.reject(new Error('x')), overlap: 'allow' });
    daemon.start();
    for (let i = 0; i < 4; i++) await daemon.execute('ok');
    expect(daemon.health().status).toBe('healthy');
    for (let i = 0; i < 5; i++) await daemon.execute('bad');
    const metrics = daemon.metrics();
    expect(metrics).toMatchObject({
      succeeded: 4,
      failed: 5,
      skipped: 0,
      cancelled: 0,
      active: 0,
      queued: 0,
    });
    expect(metrics.throughput).toBeGreaterThan(0);
    expect(metrics.latency.max).toBeGreaterThanOrEqual(metrics.latency.p99);
    expect(metrics.latency.p99).toBeGreaterThanOrEqual(metrics.latency.p50);
    expect(daemon.health()).toMatchObject({
      status: 'degraded',
      reason: expect.stringMatching(/56% of the last 9 runs failed/),
    });
    expect(daemon.recent().map((r) => r.runId)).toEqual(['bad#9', 'bad#8', 'bad#7']);
    expect(daemon.recent('ok')).toEqual([]);
    await daemon.stop();
  });
});
