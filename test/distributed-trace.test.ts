import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { firstValueFrom } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMultipleInstance, threshold, toMIResult } from 'rxdaemon';
import { createBullTransport, startWorker } from 'rxdaemon/bullmq';
import { startRedis, type TestRedis } from './support/redis.js';

const exporter = new InMemorySpanExporter();
let redis: TestRedis;
beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
  redis = await startRedis();
}, 300_000);
afterAll(async () => {
  trace.disable();
  propagation.disable();
  context.disable();
  await redis?.stop();
});

describe('a distributed instance continues its trace on the worker', () => {
  it("each job's rxdaemon.remote_instance span is a child of its rxdaemon.mi_instance span (W3C trace context in the job)", async () => {
    const connection = { host: redis.host, port: redis.port };
    const worker = startWorker({
      connection,
      queue: 'traced',
      concurrency: 4,
      handlers: {
        quote: (ms: number, { signal }) =>
          new Promise((resolve, reject) => {
            const timer = setTimeout(() => resolve(ms), ms);
            signal.addEventListener('abort', () => {
              clearTimeout(timer);
              reject(signal.reason);
            });
          }),
      },
    });
    const transport = createBullTransport({ connection, queue: 'traced' });
    try {
      const result = await firstValueFrom(
        runMultipleInstance([10, 20, 30, 2000], {
          taskId: 'quotes',
          caseId: 'traced-1',
          concurrency: 4,
          completion: threshold(3),
          run: transport.task<number, number>('quote'),
        }).pipe(toMIResult()),
      );
      expect(result.values).toEqual([10, 20, 30]);
    } finally {
      await transport.close();
      await worker.close();
    }
    const spans = exporter.getFinishedSpans();
    const [task] = spans.filter((s) => s.name === 'rxdaemon.mi_task');
    const instances = spans.filter((s) => s.name === 'rxdaemon.mi_instance');
    const remote = spans.filter((s) => s.name === 'rxdaemon.remote_instance');
    expect(instances).toHaveLength(4);
    expect(remote.length).toBeGreaterThanOrEqual(3);
    for (const job of remote) {
      const parent = instances.find((s) => s.spanContext().spanId === job.parentSpanContext?.spanId);
      expect(parent, `parent of ${String(job.attributes['rxdaemon.job_id'])}`).toBeDefined();
      expect(job.spanContext().traceId).toBe(task!.spanContext().traceId);
    }
    // Three jobs succeeded; the fourth, cancelled past the threshold, is not an error on the worker.
    const statuses = remote.map((s) => s.attributes['rxdaemon.status']);
    expect(statuses.filter((s) => s === 'succeeded')).toHaveLength(3);
    expect(statuses.filter((s) => s !== 'succeeded').every((s) => s === 'cancelled')).toBe(true);
  });
});
