/**
 * A model of the daemon the project grew from (`../shared/seed/daemon-architecture-analysis.md`
 * §2.1), written from the analysis for one purpose: to run its workload beside rxdaemon in the same
 * process. It keeps what costs time there — an EventEmitter with an event per step carrying a fresh
 * `Date`, an operations Map of spread copies, an `operationQueue` array, an LRU of 1000 completed
 * operations — and, like it, limits nothing: `activeCount` is only counted. Its logger is silent
 * here, so the comparison is of the engines, not of console output.
 */
import { EventEmitter } from 'node:events';

interface ModelOperation {
  readonly id: string;
  readonly name?: string;
  readonly handler: () => unknown;
}

class CompletedCache {
  private readonly entries = new Map<string, unknown>();

  constructor(private readonly maxSize: number) {}

  set(key: string, value: unknown): void {
    if (this.entries.has(key)) this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.maxSize) this.entries.delete(this.entries.keys().next().value!);
  }
}

export class AnalysedDaemonModel extends EventEmitter {
  private readonly operations = new Map<string, ModelOperation & { status: string; createdAt: number }>();
  private readonly operationQueue: string[] = [];
  private readonly completed = new CompletedCache(1000);
  private activeCount = 0;

  schedule(operation: ModelOperation): void {
    if (!operation?.id || typeof operation.handler !== 'function') throw new Error('Invalid operation');
    this.operations.set(operation.id, { ...operation, status: 'scheduled', createdAt: Date.now() });
    this.operationQueue.push(operation.id);
    this.emit('operation:enqueued', {
      operationId: operation.id,
      name: operation.name,
      timestamp: new Date(),
    });
  }

  async execute(operationId: string): Promise<unknown> {
    const operation = this.operations.get(operationId);
    if (!operation) throw new Error(`Operation not found: ${operationId}`);
    const startTime = Date.now();
    this.activeCount += 1;
    try {
      this.emit('operation:started', { operationId, name: operation.name, timestamp: new Date() });
      const result = await operation.handler();
      const duration = Date.now() - startTime;
      this.completed.set(operationId, {
        operationId,
        status: 'success',
        result,
        duration,
        timestamp: Date.now(),
      });
      this.emit('operation:success', { operationId, name: operation.name, duration, timestamp: new Date() });
      return result;
    } catch (error) {
      const duration = Date.now() - startTime;
      this.completed.set(operationId, { operationId, status: 'failure', duration, timestamp: Date.now() });
      this.emit('operation:failure', { operationId, name: operation.name, duration, timestamp: new Date() });
      throw error;
    } finally {
      this.activeCount -= 1;
    }
  }
}
