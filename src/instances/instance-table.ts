import type { MIEvent } from './mi-event.js';
import type { InstanceRecord, InstanceStatus } from './mi-result.js';

type MutableRecord<R> = { -readonly [K in keyof InstanceRecord<R>]: InstanceRecord<R>[K] };

/**
 * Instance records folded from MI events, index → record: the one place that knows how an event
 * changes an instance. The MI result and the `instanceStates()` registry are both views of it.
 */
export class InstanceTable<R> {
  private readonly records: MutableRecord<R>[] = [];

  apply(event: MIEvent<unknown, R>): void {
    switch (event.type) {
      case 'admitted':
        this.records[event.index] = {
          index: event.index,
          instanceId: event.instanceId,
          status: 'pending',
          attempts: 0,
        };
        return;
      case 'started':
        return this.update(event.index, (r) => {
          r.status = 'running';
          r.attempts = 1;
          r.startedAt = event.at;
        });
      case 'retrying':
        return this.update(event.index, (r) => (r.attempts = event.attempt));
      case 'succeeded':
        return this.update(event.index, (r) => {
          r.status = 'succeeded';
          r.value = event.value;
          r.attempts = event.attempts;
          r.endedAt = event.at;
        });
      case 'failed':
        return this.update(event.index, (r) => {
          r.status = 'failed';
          r.error = event.error;
          r.attempts = event.attempts;
          r.endedAt = event.at;
        });
      case 'cancelled':
        return this.update(event.index, (r) => {
          r.status = 'cancelled';
          r.endedAt = event.at;
        });
      case 'late':
        return this.update(event.index, (r) => {
          r.status = event.outcome;
          if (event.outcome === 'succeeded') r.value = event.value as R;
          else r.error = event.error;
          r.attempts = event.attempts;
          r.endedAt = event.at;
        });
      case 'decided':
        // Instances still running at a decision run on detached (only in `remaining: 'detach'`).
        for (const record of this.records) if (record?.status === 'running') record.status = 'detached';
        return;
      default:
        return;
    }
  }

  get size(): number {
    return this.records.length;
  }

  /** The record of instance `index`, if it was admitted. */
  get(index: number): InstanceRecord<R> | undefined {
    return this.records[index];
  }

  /** Indexes of the instances now in `status`. */
  indexesIn(status: InstanceStatus): number[] {
    return this.records.filter((r) => r.status === status).map((r) => r.index);
  }

  /** A copy of every record, in index order. */
  snapshot(): InstanceRecord<R>[] {
    return this.records.map((r) => ({ ...r }));
  }

  /** The succeeded values, in index order. */
  values(): R[] {
    return this.records.filter((r) => r.status === 'succeeded').map((r) => r.value as R);
  }

  private update(index: number, change: (record: MutableRecord<R>) => void): void {
    const record = this.records[index];
    if (record) change(record);
  }
}
