/** The kinds of trigger, as in a {@link TriggerConfig}. */
export type TriggerKind = 'interval' | 'cron' | 'idle' | 'reactive' | 'event';

/** One firing of a trigger. */
export interface TriggerFire {
  readonly kind: TriggerKind;
  /** Scheduler time at which it fired. */
  readonly at: number;
  /** For time-based triggers: the instant it was due (cron's matching time, the interval's tick). */
  readonly scheduledFor?: number;
  /** For reactive and event triggers: the mutation or event that fired it. */
  readonly cause?: unknown;
}
