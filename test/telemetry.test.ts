import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { lastValueFrom, map, timer, VirtualTimeScheduler } from 'rxjs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  allSucceed,
  createDaemon,
  miEvents,
  runMultipleInstance,
  threshold,
  type WorkflowDefinition,
  type YawlEvent,
} from 'rxdaemon';
import { sleep } from './support.js';
import { bridgeWith } from './support/yawl.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
// The context manager an SDK setup (NodeSDK) registers: it carries the active span across awaits.
const contextManager = new AsyncLocalStorageContextManager();
beforeAll(() => {
  context.setGlobalContextManager(contextManager.enable());
  trace.setGlobalTracerProvider(provider);
});
afterAll(() => {
  trace.disable();
  context.disable();
});
beforeEach(() => exporter.reset());

const spans = () => exporter.getFinishedSpans();
const named = (name: string) => spans().filter((s) => s.name === name);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const attribute = (span: ReadableSpan, key: string) => span.attributes[`rxdaemon.${key}`];

/**
 * Six instances taking 10, 20, … 60 ms of virtual time; instance 1 fails its first attempt.
 * (Observables, not promises: a promise settles in a microtask, after the virtual clock's flush.)
 */
function thresholdTask(scheduler: VirtualTimeScheduler) {
  return runMultipleInstance(6, {
    taskId: 'quotes',
    caseId: 'order-1',
    concurrency: 6,
    scheduler,
    completion: threshold(3),
    retry: { maxAttempts: 2, initialDelayMs: 5 },
    random: () => 0.5,
    run: (i: number, { attempt }) =>
      timer((i + 1) * 10, scheduler).pipe(
        map(() => {
          if (i === 1 && attempt === 1) throw new Error('flaky');
          return i;
        }),
      ),
  });
}

describe('OpenTelemetry spans (@opentelemetry/api; the SDK only in tests)', () => {
  it('a threshold MI task: one rxdaemon.mi_task span, a child per started instance, a retry event; cancelled is not an error', async () => {
    const scheduler = new VirtualTimeScheduler(undefined, Infinity);
    const done = lastValueFrom(thresholdTask(scheduler));
    scheduler.flush();
    const decided = await done;
    expect(decided).toMatchObject({ type: 'decided', status: 'completed', reason: 'threshold' });
    const [task] = named('rxdaemon.mi_task');
    expect(named('rxdaemon.mi_task')).toHaveLength(1);
    expect(task!.attributes).toMatchObject({
      'rxdaemon.task_id': 'quotes',
      'rxdaemon.case_id': 'order-1',
      'rxdaemon.status': 'completed',
      'rxdaemon.reason': 'threshold',
    });
    expect(task!.status.code).toBe(SpanStatusCode.UNSET);
    expect(parentOf(task!)).toBeUndefined();
    const instances = named('rxdaemon.mi_instance').sort(
      (a, b) => Number(attribute(a, 'index')) - Number(attribute(b, 'index')),
    );
    expect(instances.map((s) => parentOf(s))).toEqual(Array(6).fill(task!.spanContext().spanId));
    // Instances 0 and 2 succeed at 10 and 30 ms; instance 1 fails at 20 ms, its second attempt
    // (from 25 ms, up to 5 ms of jitter less) ends before 45, instance 3 at 40: whichever is third
    // decides — never both — and 4 and 5 are cancelled.
    const statuses = instances.map((s) => attribute(s, 'status'));
    expect([statuses[0], statuses[2], statuses[4], statuses[5]]).toEqual([
      'succeeded',
      'succeeded',
      'cancelled',
      'cancelled',
    ]);
    expect([statuses[1], statuses[3]].sort()).toEqual(['cancelled', 'succeeded']);
    expect(instances.every((s) => s.status.code === SpanStatusCode.UNSET)).toBe(true);
    expect(attribute(instances[1]!, 'attempt')).toBe(2);
    expect(instances[1]!.events.map((e) => [e.name, e.attributes?.['rxdaemon.attempt']])).toEqual([
      ['retry', 2],
    ]);
    expect(instances.every((s) => s.endTime[0] + s.endTime[1] > 0)).toBe(true);
  });

  it('a failed MI task: its span and the failed instance are errors', async () => {
    const scheduler = new VirtualTimeScheduler(undefined, Infinity);
    const done = lastValueFrom(
      runMultipleInstance([1, 2], {
        taskId: 'strict',
        concurrency: 2,
        scheduler,
        completion: allSucceed(),
        run: (n: number) => {
          if (n === 2) throw new Error('no stock');
          return n;
        },
      }),
    );
    scheduler.flush();
    await done;
    const [task] = named('rxdaemon.mi_task');
    expect(task!.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: expect.stringContaining('no stock'),
    });
    const failed = named('rxdaemon.mi_instance').find((s) => attribute(s, 'status') === 'failed')!;
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(failed.events.map((e) => e.name)).toContain('exception');
  });

  it('a daemon run is an rxdaemon.operation span, parent of the MI task it runs', async () => {
    const daemon = createDaemon();
    daemon.schedule({
      id: 'enrich',
      run: () =>
        lastValueFrom(
          runMultipleInstance([1, 2, 3], { taskId: 'lookup', concurrency: 3, run: (n: number) => n }),
        ),
    });
    daemon.schedule({ id: 'broken', run: () => Promise.reject(new Error('down')) });
    daemon.start();
    expect(await daemon.execute('enrich')).toMatchObject({ status: 'succeeded' });
    expect(await daemon.execute('broken')).toMatchObject({ status: 'failed' });
    await daemon.stop();
    const [enrich, broken] = named('rxdaemon.operation');
    expect(enrich!.attributes).toMatchObject({
      'rxdaemon.operation_id': 'enrich',
      'rxdaemon.status': 'succeeded',
    });
    const [mi] = named('rxdaemon.mi_task');
    expect(parentOf(mi!)).toBe(enrich!.spanContext().spanId);
    expect(mi!.spanContext().traceId).toBe(enrich!.spanContext().traceId);
    expect(broken!.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('a bridged YAWL task is an rxdaemon.yawl_task span, parent of its daemon run; a cancelled one is not an error', async () => {
    const workflows: WorkflowDefinition[] = [
      {
        id: 'Pick',
        input: 'i',
        output: 'o',
        // An AND split; the first branch to finish completes the case, which cancels the other.
        conditions: [
          { id: 'i', flows: ['go'] },
          { id: 'c1', flows: ['fast'] },
          { id: 'c2', flows: ['slow'] },
          { id: 'o' },
        ],
        tasks: [
          { id: 'go', split: 'and', flows: [{ to: 'c1' }, { to: 'c2' }] },
          { id: 'fast', flows: [{ to: 'o' }] },
          { id: 'slow', flows: [{ to: 'o' }] },
        ],
      },
    ];
    const { engine, daemon } = bridgeWith(workflows, {
      go: () => null,
      fast: () => sleep(5, 'fast'),
      slow: ({ signal }) =>
        new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
    });
    const finished = new Promise<void>((resolve) =>
      engine.events.subscribe((e: YawlEvent) => e.type === 'case:completed' && resolve()),
    );
    engine.createCase('Pick', null, 'p1');
    await finished;
    await daemon.stop({ drainMs: 100 });
    const yawl = named('rxdaemon.yawl_task');
    const fast = yawl.find((s) => attribute(s, 'task_id') === 'fast')!;
    const slow = yawl.find((s) => attribute(s, 'task_id') === 'slow')!;
    expect(attribute(fast, 'status')).toBe('succeeded');
    expect(attribute(slow, 'status')).toBe('cancelled');
    expect(slow.status.code).toBe(SpanStatusCode.UNSET);
    const fastRun = named('rxdaemon.operation').find((s) => parentOf(s) === fast.spanContext().spanId);
    expect(fastRun?.attributes['rxdaemon.status']).toBe('succeeded');
  });

  it('telemetry: false opts a task out: no spans, nothing on MI_CHANNEL', async () => {
    const seen: string[] = [];
    const watching = miEvents().subscribe((e) => seen.push(`${e.taskId} ${e.type}`));
    await lastValueFrom(
      runMultipleInstance(2, { taskId: 'quiet', concurrency: 2, telemetry: false, run: (n: number) => n }),
    );
    await lastValueFrom(runMultipleInstance(1, { taskId: 'loud', concurrency: 1, run: (n: number) => n }));
    watching.unsubscribe();
    expect(named('rxdaemon.mi_task').map((s) => attribute(s, 'task_id'))).toEqual(['loud']);
    expect(seen.some((e) => e.startsWith('quiet'))).toBe(false);
    expect(seen).toContain('loud decided');
  });
});
