import { type Attributes, type Context, context, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { errorSummary as errorOf } from '../errors.js';

/**
 * Spans through `@opentelemetry/api` only: without an SDK the API's tracer is a no-op, its spans do
 * not record, and every helper here returns at once — one `isRecording()` check per run.
 */
const proxy = trace.getTracer('rxdaemon');
// One proxy tracer for the process: it finds the provider registered at the time of each span, so
// an SDK set up after this module loaded is still used.
const tracer = () => proxy;

/** A span under `parent`, or undefined when nothing records (no SDK, or not sampled). */
export function startSpan(
  name: string,
  attributes: Attributes,
  parent: Context = context.active(),
): Span | undefined {
  const span = tracer().startSpan(name, { attributes }, parent);
  if (span.isRecording()) return span;
  span.end();
  return undefined;
}

/** `work` with `span` as the active span (so the spans it starts are its children). */
export function inSpan<T>(span: Span | undefined, parent: Context, work: () => T): T {
  return span ? context.with(trace.setSpan(parent, span), work) : work();
}

/** How a run ended, for its span's status. */
export type Outcome = 'succeeded' | 'failed' | 'cancelled' | 'skipped' | 'completed';

/**
 * Ends a span with `rxdaemon.status` (and `rxdaemon.reason`): a failure sets the span's status to
 * ERROR with the exception recorded; a cancellation is not an error — it stays UNSET.
 */
export function endSpan(
  span: Span | undefined,
  status: Outcome,
  error?: unknown,
  attributes: Attributes = {},
): void {
  if (!span) return;
  span.setAttributes({ 'rxdaemon.status': status, ...attributes });
  if (status === 'failed') {
    const { name, message } = errorOf(error);
    if (error instanceof Error) span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: `${name}: ${message}` });
  }
  span.end();
}

/** A retry: an event on the span of what is being retried. */
export function retryEvent(span: Span | undefined, attempt: number, error: unknown, delayMs: number): void {
  span?.addEvent('retry', {
    'rxdaemon.attempt': attempt,
    'rxdaemon.delay_ms': delayMs,
    'exception.message': errorOf(error).message,
  });
}
