import { asyncScheduler, type SchedulerAction, type SchedulerLike, Subscription } from 'rxjs';

/**
 * Node's timers hold a delay in 32 bits: anything longer fires after 1 ms. Waits longer than this
 * are made of steps of at most this length, each checking the clock for what is left.
 */
export const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * One scheduled piece of work on a {@link LongDelayScheduler}: a delay longer than
 * {@link LONGEST_TIMER_MS} is waited in steps, so `timer`, `interval`, timeouts and retry delays
 * of days fire when due, not at once. Rescheduling (`this.schedule(state, delay)` from inside the
 * work, as rxjs `timer` does for each period) goes through the same steps.
 */
class LongDelayAction<T> extends Subscription implements SchedulerAction<T> {
  private step: Subscription | undefined;

  constructor(
    private readonly target: SchedulerLike,
    private readonly work: (this: SchedulerAction<T>, state?: T) => void,
  ) {
    super();
    this.add(() => this.step?.unsubscribe());
  }

  schedule(state?: T, delay = 0): Subscription {
    if (this.closed) return this;
    const previous = this.step;
    this.step = undefined;
    previous?.unsubscribe();
    if (delay <= LONGEST_TIMER_MS) {
      this.step = this.target.schedule(() => this.run(state), delay);
    } else {
      this.waitUntil(this.target.now() + delay, state);
    }
    return this;
  }

  private waitUntil(due: number, state: T | undefined): void {
    const left = due - this.target.now();
    if (left <= 0) return this.run(state);
    this.step = this.target.schedule(() => this.waitUntil(due, state), Math.min(left, LONGEST_TIMER_MS));
  }

  private run(state: T | undefined): void {
    if (this.closed) return;
    this.work.call(this, state);
  }
}

/** A scheduler whose delays may be as long as a number allows (see {@link LongDelayAction}). */
class LongDelayScheduler implements SchedulerLike {
  constructor(readonly target: SchedulerLike) {}

  now(): number {
    return this.target.now();
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    return new LongDelayAction(this.target, work).schedule(state, delay);
  }
}

/**
 * The one way engine code and operators wait: `scheduler` (default `asyncScheduler`) made safe for
 * delays past 2^31−1 ms. Idempotent, so a scheduler handed from one component to another is wrapped
 * once.
 */
export function longDelays(scheduler: SchedulerLike = asyncScheduler): SchedulerLike {
  return scheduler instanceof LongDelayScheduler ? scheduler : new LongDelayScheduler(scheduler);
}
