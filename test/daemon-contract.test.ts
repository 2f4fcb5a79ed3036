import {
  defer,
  filter,
  firstValueFrom,
  lastValueFrom,
  type Observable,
  type Observer,
  of,
  type OperatorFunction,
  Subject,
  throwError,
} from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  createDaemon,
  createReceiptLog,
  type DaemonEvent,
  type OperationResult,
  runMultipleInstance,
  toMIResult,
  type TriggerFire,
} from 'rxdaemon';
import { virtualClock } from 'rxdaemon/testing';
import { failOnUnhandledRejections, sleep } from './support.js';

failOnUnhandledRejections();

const statuses = (results: OperationResult[]) => results.map((r) => r.status);

describe('daemon.execute is a job: never silently dropped', () => {
  it('concurrent calls to an operation without an overlap policy all run, one after the other', async () => {
    const daemon = createDaemon({ maxConcurrent: 4 });
    let running = 0;
    let most = 0;
    daemon.schedule({
      id: 'send',
      run: async ({ payload }) => {
        most = Math.max(most, ++running);
        await sleep(5, null);
        running--;
        return payload;
      },
    });
    daemon.start();
    const results = await Promise.all([1, 2, 3].map((n) => daemon.execute('send', n)));
    expect(statuses(results)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(results.map((r) => r.value)).toEqual([1, 2, 3]);
    expect(most).toBe(1); // queued, not overlapped
    await daemon.stop();
  });

  it("an operation that asked for overlap: 'skip' skips a call that finds it busy", async () => {
    const daemon = createDaemon();
    daemon.schedule({ id: 'once', overlap: 'skip', run: () => sleep(5, 'ok') });
    daemon.start();
    const results = await Promise.all([daemon.execute('once'), daemon.execute('once')]);
    expect(statuses(results)).toEqual(['succeeded', 'skipped']);
    await daemon.stop();
  });

  it('a run returning a plain value resolves with it', async () => {
    const daemon = createDaemon();
    daemon.schedule({ id: 'hello', run: () => 'hello' });
    daemon.schedule({ id: 'list', run: () => [1, 2] });
    daemon.start();
    expect((await daemon.execute('hello')).value).toBe('hello');
    expect((await daemon.execute('list')).value).toEqual([1, 2]);
    await daemon.stop();
  });

  it('the run context is an object of its own fields: spreading it keeps a live signal', async () => {
    const daemon = createDaemon();
    let copy: { signal?: AbortSignal; runId?: string } = {};
    daemon.schedule({ id: 'spread', run: (context) => ((copy = { ...context }), 'ok') });
    daemon.schedule({
      id: 'spread-retry',
      retry: { maxAttempts: 2 },
      run: (context) => ((copy = { ...context }), 'ok'),
    });
    daemon.start();
    for (const id of ['spread', 'spread-retry']) {
      await daemon.execute(id);
      expect(copy.signal).toBeInstanceOf(AbortSignal);
      expect(copy.runId).toMatch(new RegExp(`^${id}#`));
    }
    await daemon.stop();
  });
});

describe('daemon lifecycle under misuse', () => {
  it('schedule() from a daemon:started listener subscribes the trigger once; stop() ends it', async () => {
    const clock = virtualClock('2026-01-01T00:00:00Z');
    const daemon = createDaemon({ scheduler: clock });
    let runs = 0;
    daemon.events.subscribe((event) => {
      if (event.type === 'daemon:started')
        daemon.schedule({ id: 'tick', trigger: { type: 'interval', ms: 1000 }, run: () => ++runs });
    });
    daemon.start();
    clock.advanceBy(3000);
    expect(runs).toBe(3);
    await daemon.stop();
    clock.advanceBy(10_000);
    expect(runs).toBe(3);
    expect(clock.actions).toHaveLength(0);
  });

  it('a listener that throws on daemon.events does not take the process down; others still hear', async () => {
    const daemon = createDaemon();
    const heard: DaemonEvent['type'][] = [];
    daemon.events.subscribe(() => {
      throw new Error('careless listener');
    });
    daemon.events.subscribe({ next: (event) => heard.push(event.type) });
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => void uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      daemon.schedule({ id: 'x', run: () => 1 });
      daemon.start();
      expect((await daemon.execute('x')).status).toBe('succeeded');
      await daemon.stop();
      await sleep(20, null);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toEqual([]);
    expect(heard).toContain('operation:succeeded');
    expect(heard).toContain('daemon:listener-failed');
  });

  it('an operation unscheduled and scheduled again while its run goes on still honours overlap: skip', async () => {
    const daemon = createDaemon();
    const op = { id: 'sync', overlap: 'skip' as const, run: () => sleep(10, 'ok') };
    daemon.schedule(op);
    daemon.start();
    const first = daemon.execute('sync');
    daemon.unschedule('sync');
    daemon.schedule(op);
    const second = await daemon.execute('sync');
    expect(second.status).toBe('skipped');
    expect((await first).status).toBe('succeeded');
    await daemon.stop();
  });

  it('a trigger that errors is reported, degrades health with the reason, and is resubscribed', () => {
    const clock = virtualClock('2026-01-01T00:00:00Z');
    const events = new Subject<{ name: string }>();
    const daemon = createDaemon({ scheduler: clock, sources: { events } });
    let runs = 0;
    daemon.schedule({ id: 'on-order', trigger: { type: 'event', name: 'order' }, run: () => ++runs });
    daemon.start();
    events.next({ name: 'order' });
    events.error(new Error('feed lost'));
    expect(daemon.health()).toMatchObject({
      status: 'degraded',
      reason: expect.stringContaining('feed lost'),
    });
    expect(daemon.operations()[0]).toMatchObject({ id: 'on-order', triggerFailures: 1 });
    expect(daemon.recent('on-order')[0]).toMatchObject({ status: 'failed' });
    clock.advanceBy(0); // resubscribed at once: a Subject that errored stays errored…
    expect(daemon.operations()[0]!.triggerFailures).toBe(2); // …so it fails again,
    clock.advanceBy(999);
    expect(daemon.operations()[0]!.triggerFailures).toBe(2); // and is tried again only after 1 s
    clock.advanceBy(1);
    expect(daemon.operations()[0]!.triggerFailures).toBe(3);
    expect(runs).toBe(1);
    void daemon.stop();
  });

  it('a trigger resubscribed after an error runs later events, and health recovers', () => {
    const clock = virtualClock('2026-01-01T00:00:00Z');
    const fires = new Subject<TriggerFire>();
    let subscriptions = 0;
    const trigger = defer(() =>
      ++subscriptions === 1 ? throwError(() => new Error('not ready')) : fires.asObservable(),
    );
    const daemon = createDaemon({ scheduler: clock });
    let runs = 0;
    daemon.schedule({ id: 'flaky', trigger, run: () => ++runs });
    daemon.start();
    expect(daemon.health().status).toBe('degraded');
    clock.advanceBy(0);
    expect(subscriptions).toBe(2);
    fires.next({ kind: 'event', at: clock.now() });
    expect(runs).toBe(1);
    expect(daemon.health().status).toBe('healthy');
    void daemon.stop();
  });

  it('health judges the failure ratio on a minimum sample, not on one failure', async () => {
    const daemon = createDaemon();
    daemon.schedule({ id: 'bad', run: () => Promise.reject(new Error('x')) });
    daemon.start();
    await daemon.execute('bad');
    expect(daemon.health().status).toBe('healthy');
    for (let i = 0; i < 9; i++) await daemon.execute('bad');
    expect(daemon.health()).toMatchObject({
      status: 'degraded',
      reason: expect.stringContaining('100% of the last 10'),
    });
    await daemon.stop();
  });

  it('operations() lists what is registered, with its trigger kind and load', () => {
    const daemon = createDaemon();
    daemon.schedule({ id: 'a', name: 'A', run: () => 1, trigger: { type: 'interval', ms: 1000 } });
    daemon.schedule({ id: 'b', run: () => 1, overlap: 'queue' });
    expect(daemon.operations()).toEqual([
      { id: 'a', name: 'A', overlap: 'skip', trigger: 'interval', active: 0, queued: 0, triggerFailures: 0 },
      { id: 'b', overlap: 'queue', trigger: 'none', active: 0, queued: 0, triggerFailures: 0 },
    ]);
  });
});

describe('receipt failures are contained; the run stands', () => {
  it('a rejection String() cannot convert still settles execute, with a receipt', async () => {
    const log = createReceiptLog();
    const daemon = createDaemon({ receipts: log });
    const strange = Object.create(null) as object;
    daemon.schedule({ id: 'odd', run: () => Promise.reject(strange) });
    daemon.start();
    const result = await daemon.execute('odd');
    expect(result.status).toBe('failed');
    expect(result.error).toBe(strange);
    expect(log.size).toBe(1);
    expect(daemon.metrics().active).toBe(0);
    await daemon.stop();
  });

  it('a log whose append throws: execute settles, a daemon:receipt-failed event and degraded health say so', async () => {
    const daemon = createDaemon({
      receipts: {
        append: () => {
          throw new Error('disk full');
        },
      } as never,
    });
    const failures: DaemonEvent[] = [];
    daemon.events.subscribe((e) => e.type === 'daemon:receipt-failed' && failures.push(e));
    daemon.schedule({ id: 'ok', run: () => 'fine' });
    daemon.start();
    const result = await daemon.execute('ok');
    expect(result).toMatchObject({ status: 'succeeded', value: 'fine' });
    expect(failures).toHaveLength(1);
    expect(daemon.health()).toMatchObject({
      status: 'degraded',
      reason: expect.stringContaining('disk full'),
    });
    await daemon.stop();
  });
});

describe('daemon inputs are validated', () => {
  for (const drainMs of [Number.NaN, -5, 'abc', Infinity]) {
    it(`stop({ drainMs: ${String(drainMs)} }) rejects with a ConfigError and leaves the daemon running`, async () => {
      const daemon = createDaemon();
      daemon.start();
      await expect(daemon.stop({ drainMs: drainMs as number })).rejects.toBeInstanceOf(ConfigError);
      expect(daemon.health().status).toBe('healthy');
      await daemon.stop();
    });
  }

  it('misspelt keys are rejected, naming them', () => {
    expect(() => createDaemon({ maxConcurent: 3 } as never)).toThrow(/maxConcurent/);
    const daemon = createDaemon();
    expect(() => daemon.schedule({ id: 'x', run: () => 1, timeout: 5 } as never)).toThrow(ConfigError);
    expect(() => daemon.schedule({ id: 'x', run: () => 1, timeout: 5 } as never)).toThrow(/timeout/);
  });

  it('an Observable from another copy of rxjs is a trigger (and an MI concurrency stream): judged by its methods', async () => {
    // What an application's own rxjs makes: the same methods, another class.
    const foreign = <T>(source: Observable<T>) => ({
      subscribe: (observer: Partial<Observer<T>>) => source.subscribe(observer),
      pipe: (...operators: OperatorFunction<T, unknown>[]) =>
        (source.pipe as (...fns: OperatorFunction<T, unknown>[]) => unknown)(...operators),
      lift: (operator: unknown) => (source as unknown as { lift(o: unknown): unknown }).lift(operator),
    });
    const daemon = createDaemon();
    const ran = firstValueFrom(daemon.events.pipe(filter((e) => e.type === 'operation:succeeded')));
    daemon.schedule({
      id: 'x',
      trigger: foreign(of({ kind: 'event' as const, at: 0 })) as never,
      run: () => 1,
    });
    expect(daemon.operations()[0]!.trigger).toBe('custom');
    daemon.start();
    expect((await ran).type).toBe('operation:succeeded');
    await daemon.stop();
    const result = await lastValueFrom(
      runMultipleInstance(3, {
        taskId: 't',
        concurrency: foreign(of(2)) as never,
        run: (i: number) => i,
      }).pipe(toMIResult()),
    );
    expect(result.values).toEqual([0, 1, 2]);
  });

  it('a bad trigger config is told what is wrong with it, beside every other bad field', () => {
    const daemon = createDaemon();
    const error = (() => {
      try {
        daemon.schedule({ id: 'x', trigger: { type: 'hourly' }, run: 5 } as never);
      } catch (thrown) {
        return thrown as ConfigError;
      }
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.fields).toEqual(['trigger.type', 'run']);
    expect(error?.message).toMatch(
      /trigger\.type: .*'interval' \| 'cron' \| 'idle' \| 'reactive' \| 'event'/,
    );
    expect(() => daemon.schedule({ id: 'y', trigger: { type: 'event', name: 'go' }, run: () => 1 })).toThrow(
      /events: an event trigger needs it/,
    );
    expect(daemon.operations()).toEqual([]); // nothing registered
  });
});
