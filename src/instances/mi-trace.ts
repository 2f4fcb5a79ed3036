import { type Context, context, type Span, trace } from '@opentelemetry/api';
import { endSpan, inSpan, retryEvent, startSpan } from '../telemetry/spans.js';
import type { MIEvent } from './mi-event.js';

/**
 * The spans of one run of an MI task: `rxdaemon.mi_task` under whatever span was active when it was
 * subscribed, and an `rxdaemon.mi_instance` child per instance that starts (its handler runs with
 * that span active), a `retry` event per retry. Made only when a tracer records ({@link start}).
 */
export class MITrace {
  private readonly instances = new Map<number, Span>();
  private readonly inside: Context;

  private constructor(
    private readonly task: Span,
    private readonly taskId: string,
    private readonly caseId: string,
    parent: Context,
  ) {
    // Set explicitly, not read back from `context.with`: without a context manager (no SDK) that is
    // a no-op, yet the instance spans must still hang under the task's.
    this.inside = trace.setSpan(parent, task);
  }

  /** The task's trace, or undefined when nothing records (then nothing else is paid). */
  static start(taskId: string, caseId: string): MITrace | undefined {
    const parent = context.active();
    const span = startSpan(
      'rxdaemon.mi_task',
      { 'rxdaemon.task_id': taskId, 'rxdaemon.case_id': caseId },
      parent,
    );
    return span && new MITrace(span, taskId, caseId, parent);
  }

  /** `work` (an instance's handler) with its instance span active. */
  around<T>(index: number, attempt: number, work: () => T): T {
    const span = this.instance(index);
    span.setAttribute('rxdaemon.attempt', attempt);
    return inSpan(span, this.inside, work);
  }

  observe(event: MIEvent<unknown, unknown>): void {
    switch (event.type) {
      case 'started':
        this.instance(event.index);
        return;
      case 'retrying':
        return retryEvent(this.instances.get(event.index), event.attempt, event.error, event.delayMs);
      case 'succeeded':
        return this.endInstance(event.index, 'succeeded', undefined, event.attempts);
      case 'failed':
        return this.endInstance(event.index, 'failed', event.error, event.attempts);
      case 'cancelled':
        return this.endInstance(event.index, 'cancelled');
      case 'decided':
        return endSpan(this.task, event.status, event.cause ?? event.reason, {
          'rxdaemon.reason': event.reason,
          'rxdaemon.instances': event.counters.admitted,
        });
      default:
        return;
    }
  }

  /** Torn down before a decision (unsubscribed): what is still open ends as cancelled. */
  end(): void {
    for (const index of [...this.instances.keys()]) this.endInstance(index, 'cancelled');
    if (this.task.isRecording())
      endSpan(this.task, 'cancelled', undefined, { 'rxdaemon.reason': 'unsubscribed' });
  }

  private instance(index: number): Span {
    let span = this.instances.get(index);
    if (!span) {
      span = startSpan(
        'rxdaemon.mi_instance',
        {
          'rxdaemon.task_id': this.taskId,
          'rxdaemon.case_id': this.caseId,
          'rxdaemon.index': index,
          'rxdaemon.attempt': 1,
        },
        this.inside,
      )!;
      this.instances.set(index, span);
    }
    return span;
  }

  private endInstance(
    index: number,
    status: 'succeeded' | 'failed' | 'cancelled',
    error?: unknown,
    attempts?: number,
  ): void {
    const span = this.instances.get(index);
    if (!span) return; // cancelled before it started: it never ran
    this.instances.delete(index);
    endSpan(span, status, error, attempts === undefined ? {} : { 'rxdaemon.attempt': attempts });
  }
}
