import type { Counters } from '../../operators/index.js';
import type { MIReason, MIResult, MIStatus } from './mi-result.js';
import { valueKind } from '../../operators/internal/index.js';

interface TaskEvent {
  readonly taskId: string;
  readonly caseId: string;
  /** Scheduler time of the event. */
  readonly at: number;
}

interface InstanceEvent extends TaskEvent {
  readonly index: number;
  /** `taskId#index`. */
  readonly instanceId: string;
}

export interface MIAdmittedEvent<I> extends InstanceEvent {
  readonly type: 'admitted';
  readonly input: I;
}
export interface MIStartedEvent extends InstanceEvent {
  readonly type: 'started';
}
export interface MIRetryingEvent extends InstanceEvent {
  readonly type: 'retrying';
  /** The attempt about to be made (2 for the first retry). */
  readonly attempt: number;
  /** Why the previous attempt failed. */
  readonly error: unknown;
  readonly delayMs: number;
}
export interface MISucceededEvent<R> extends InstanceEvent {
  readonly type: 'succeeded';
  readonly value: R;
  readonly attempts: number;
}
export interface MIFailedEvent extends InstanceEvent {
  readonly type: 'failed';
  readonly error: unknown;
  readonly attempts: number;
}
export interface MICancelledEvent extends InstanceEvent {
  readonly type: 'cancelled';
  /** Torn down while running, or withdrawn before it started. */
  readonly wasRunning: boolean;
}
export interface MIRefusedEvent<I> extends TaskEvent {
  readonly type: 'refused';
  readonly input: I;
  /** Past `maxInstances`, or arrived after a `remaining: 'detach'` decision. */
  readonly reason: 'max-instances' | 'decided';
}
export interface MILateEvent<R> extends InstanceEvent {
  readonly type: 'late';
  readonly outcome: 'succeeded' | 'failed';
  readonly value?: R;
  readonly error?: unknown;
  readonly attempts: number;
}
export interface MIInputClosedEvent extends TaskEvent {
  readonly type: 'inputClosed';
  readonly total: number;
}
export interface MIDecidedEvent<R> extends TaskEvent {
  readonly type: 'decided';
  readonly status: MIStatus;
  readonly reason: MIReason;
  readonly counters: Counters;
  readonly result: MIResult<R>;
  /** What made a failed decision: a MaxInstancesError, MinInstancesError, BackpressureError or the deciding failure. */
  readonly cause?: unknown;
  /** Set when the spec's receipt log failed to record this decision (which stands all the same). */
  readonly receiptError?: unknown;
}

/** Everything a multiple-instance task reports, in order; `decided` is last but for detach's `late`/`refused`. */
export type MIEvent<I, R> =
  | MIAdmittedEvent<I>
  | MIStartedEvent
  | MIRetryingEvent
  | MISucceededEvent<R>
  | MIFailedEvent
  | MICancelledEvent
  | MIRefusedEvent<I>
  | MILateEvent<R>
  | MIInputClosedEvent
  | MIDecidedEvent<R>;

/** @throws TypeError naming the operator, for a value that is not an MI event (from plain JS, say) */
export function assertEvent(event: unknown, operator: string): void {
  if (typeof (event as { type?: unknown } | null)?.type === 'string') return;
  throw new TypeError(`${operator}: expected MI events ({ type, … }), got ${valueKind(event)}`);
}
