import { SlidingWindow } from '../../operators/internal/sliding-window.js';
import type { DaemonEvent, DaemonMetrics, OperationResult } from './types.js';

const LATENCY_WINDOW = 1000;
const HEALTH_WINDOW = 100;

/**
 * Everything `metrics()`, `health()` and `recent()` report, folded from the daemon's events and from
 * nothing else: counts by outcome, active and queued runs, a latency window, the last outcomes, and an
 * LRU of finished runs.
 */
export class DaemonState {
  readonly counts = { succeeded: 0, failed: 0, skipped: 0, cancelled: 0 };
  private enqueued = 0;
  private started = 0;
  private endedAfterStart = 0;
  private endedBeforeStart = 0;
  private readonly latency = new SlidingWindow(LATENCY_WINDOW);
  /** 1 for a failure, 0 for a success, over the last HEALTH_WINDOW finished runs. */
  private readonly outcomes: number[] = [];
  private outcomeCount = 0;
  private failuresInWindow = 0;
  private readonly finished = new Map<string, OperationResult>();

  constructor(private readonly cacheSize: number) {}

  apply(event: DaemonEvent): void {
    switch (event.type) {
      case 'operation:enqueued':
        this.enqueued++;
        return;
      case 'operation:started':
        this.started++;
        return;
      case 'operation:succeeded':
      case 'operation:failed':
      case 'operation:skipped':
      case 'operation:cancelled':
        return this.finish(event.result);
      default:
        return;
    }
  }

  get active(): number {
    return this.started - this.endedAfterStart;
  }

  get queued(): number {
    return this.enqueued - this.started - this.endedBeforeStart;
  }

  /** Failed share of the last finished runs that succeeded or failed (0 when none). */
  get failureRatio(): number {
    const n = Math.min(this.outcomeCount, HEALTH_WINDOW);
    return n === 0 ? 0 : this.failuresInWindow / n;
  }

  metrics(now: number, startedAt: number): DaemonMetrics {
    const { succeeded, failed, skipped, cancelled } = this.counts;
    const done = succeeded + failed + skipped + cancelled;
    const seconds = Math.max(0.001, (now - startedAt) / 1000);
    return {
      succeeded,
      failed,
      skipped,
      cancelled,
      latency: {
        p50: this.latency.percentile(0.5),
        p95: this.latency.percentile(0.95),
        p99: this.latency.percentile(0.99),
        max: this.latency.max,
      },
      throughput: done / seconds,
      active: this.active,
      queued: this.queued,
    };
  }

  /** Finished runs, newest first, of one operation or of all. */
  recent(operationId?: string): OperationResult[] {
    const results = [...this.finished.values()].reverse();
    return operationId === undefined ? results : results.filter((r) => r.operationId === operationId);
  }

  private finish(result: OperationResult): void {
    this.counts[result.status]++;
    if (result.startedAt === undefined) this.endedBeforeStart++;
    else {
      this.endedAfterStart++;
      this.latency.add(result.endedAt - result.startedAt, result.endedAt);
    }
    if (result.status === 'succeeded' || result.status === 'failed')
      this.recordOutcome(result.status === 'failed' ? 1 : 0);
    if (this.cacheSize > 0) {
      this.finished.set(result.runId, result);
      if (this.finished.size > this.cacheSize) this.finished.delete(this.finished.keys().next().value!);
    }
  }

  private recordOutcome(failed: number): void {
    const slot = this.outcomeCount % HEALTH_WINDOW;
    if (this.outcomeCount >= HEALTH_WINDOW) this.failuresInWindow -= this.outcomes[slot]!;
    this.outcomes[slot] = failed;
    this.failuresInWindow += failed;
    this.outcomeCount++;
  }
}
