import type { Counters, RuleReason } from '../../operators/index.js';

/** Why a multiple-instance task decided. */
export type MIReason = RuleReason | 'forced' | 'aborted' | 'min-instances' | 'max-instances' | 'backpressure';

export type MIStatus = 'completed' | 'failed' | 'cancelled';

/** Where one instance is. `detached` instances were still running at a `remaining: 'detach'` decision. */
export type InstanceStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'detached';

/** One admitted instance. */
export interface InstanceRecord<R> {
  readonly index: number;
  readonly instanceId: string;
  readonly status: InstanceStatus;
  /** Attempts made (0 if it never started). */
  readonly attempts: number;
  readonly value?: R;
  readonly error?: unknown;
  readonly startedAt?: number;
  readonly endedAt?: number;
}

/** What a multiple-instance task came to, at its decision. */
export interface MIResult<R> {
  readonly taskId: string;
  readonly caseId: string;
  readonly status: MIStatus;
  readonly reason: MIReason;
  readonly counters: Counters;
  /** One record per admitted index, in index order (empty with `keep: 'summary'`). */
  readonly instances: readonly InstanceRecord<R>[];
  /** The succeeded values in index order (empty with `keep: 'summary'`). */
  readonly values: readonly R[];
}
