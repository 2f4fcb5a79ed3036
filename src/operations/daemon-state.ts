import { nearestRank } from '../../operators/internal/index.js';
import { describeError } from '../errors.js';
import type { DaemonEvent, DaemonHealth, DaemonMetrics, HealthPolicy, OperationResult } from './types.js';

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
  private readonly latency = new Ring<number>(LATENCY_WINDOW);
  /** 1 for a failure, 0 for a success, over the last HEALTH_WINDOW finished runs. */
  private readonly outcomes: number[] = [];
  private outcomeCount = 0;
  private failuresInWindow = 0;
  private readonly finished: Ring<OperationResult>;
  /** Operations whose trigger is broken now, with why; cleared when it fires again. */
  private readonly brokenTriggers = new Map<string, string>();
  private lastReceiptFailure: string | undefined;
  private lastListenerFailure: string | undefined;

  constructor(
    cacheSize: number,
    private readonly policy: HealthPolicy = {},
  ) {
    this.finished = new Ring(cacheSize);
  }

  apply(event: DaemonEvent): void {
    switch (event.type) {
      case 'operation:enqueued':
        this.enqueued++;
        if (event.trigger !== undefined) this.brokenTriggers.delete(event.operationId);
        return;
      case 'trigger:failed':
        this.brokenTriggers.set(event.operationId, describeError(event.error));
        return;
      case 'daemon:receipt-failed':
        this.lastReceiptFailure = describeError(event.error);
        return;
      case 'daemon:listener-failed':
        this.lastListenerFailure = describeError(event.error);
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

  /**
   * Degraded, with the reason, when a trigger is broken, the receipt log failed, too many of the
   * recent runs failed (judged on at least `minSample` of them) or too many wait; else healthy.
   */
  health(): DaemonHealth {
    const { maxFailureRatio = 0.5, minSample = 10, maxQueued = 1000 } = this.policy;
    for (const [operationId, reason] of this.brokenTriggers) {
      return { status: 'degraded', reason: `the trigger of ${operationId} failed: ${reason}` };
    }
    if (this.lastReceiptFailure !== undefined) {
      return { status: 'degraded', reason: `the receipt log failed: ${this.lastReceiptFailure}` };
    }
    const n = Math.min(this.outcomeCount, HEALTH_WINDOW);
    const ratio = n === 0 ? 0 : this.failuresInWindow / n;
    if (n >= minSample && ratio > maxFailureRatio) {
      return {
        status: 'degraded',
        reason: `${Math.round(ratio * 100)}% of the last ${n} runs failed (limit ${maxFailureRatio * 100}%)`,
      };
    }
    if (this.queued > maxQueued) {
      return { status: 'degraded', reason: `${this.queued} runs queued (limit ${maxQueued})` };
    }
    const listener = this.lastListenerFailure;
    return { status: 'healthy', reason: listener === undefined ? 'ok' : `ok; a listener threw: ${listener}` };
  }

  metrics(now: number, startedAt: number): DaemonMetrics {
    const { succeeded, failed, skipped, cancelled } = this.counts;
    const done = succeeded + failed + skipped + cancelled;
    const seconds = Math.max(0.001, (now - startedAt) / 1000);
    const latencies = this.latency.newestFirst().sort((a, b) => a - b);
    const percentile = (q: number) => nearestRank(latencies, q);
    return {
      succeeded,
      failed,
      skipped,
      cancelled,
      latency: {
        p50: percentile(0.5),
        p95: percentile(0.95),
        p99: percentile(0.99),
        max: latencies.at(-1) ?? 0,
      },
      throughput: done / seconds,
      active: this.active,
      queued: this.queued,
    };
  }

  /** Finished runs, newest first, of one operation or of all. */
  recent(operationId?: string): OperationResult[] {
    const results = this.finished.newestFirst();
    return operationId === undefined ? results : results.filter((r) => r.id === operationId);
  }

  private finish(result: OperationResult): void {
    this.counts[result.status]++;
    if (result.startedAt === undefined) this.endedBeforeStart++;
    else {
      this.endedAfterStart++;
      this.latency.push(result.endedAt - result.startedAt);
    }
    if (result.status === 'succeeded' || result.status === 'failed')
      this.recordOutcome(result.status === 'failed' ? 1 : 0);
    this.finished.push(result);
  }

  private recordOutcome(failed: number): void {
    const slot = this.outcomeCount % HEALTH_WINDOW;
    if (this.outcomeCount >= HEALTH_WINDOW) this.failuresInWindow -= this.outcomes[slot]!;
    this.outcomes[slot] = failed;
    this.failuresInWindow += failed;
    this.outcomeCount++;
  }
}

/**
 * The last `capacity` items, O(1) to add: nothing is sorted or hashed on the hot path; readers
 * (`metrics()`, `recent()`) pay when they ask.
 */
class Ring<T> {
  private readonly items: T[] = [];
  private count = 0;

  constructor(private readonly capacity: number) {}

  push(item: T): void {
    if (this.capacity === 0) return;
    this.items[this.count % this.capacity] = item;
    this.count++;
  }

  newestFirst(): T[] {
    const out: T[] = [];
    for (let i = this.count - 1; i >= Math.max(0, this.count - this.capacity); i--)
      out.push(this.items[i % this.capacity]!);
    return out;
  }
}
