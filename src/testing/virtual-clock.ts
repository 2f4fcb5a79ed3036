import { VirtualTimeScheduler } from 'rxjs';
import { ConfigError } from '../errors.js';

/**
 * A virtual-time scheduler whose `now()` starts at a real date, so calendar-based work (cron, DST)
 * runs in virtual time. Nothing happens until you advance it.
 */
export class VirtualClock extends VirtualTimeScheduler {
  constructor(readonly epochMs: number) {
    super();
    // rxjs assigns `now` per instance in Scheduler's constructor, so it is replaced here, not overridden.
    this.now = () => this.epochMs + this.frame;
  }

  /** Runs everything due within the next `ms` and leaves the clock at exactly now + ms. */
  advanceBy(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) {
      throw new ConfigError('advanceBy', ['ms'], [`ms: must be a finite number ≥ 0, got ${ms}`]);
    }
    const target = this.frame + ms;
    this.maxFrames = target;
    this.flush();
    this.frame = target;
  }

  /**
   * Advances to an absolute time (epoch ms or an ISO date).
   * @throws ConfigError for a time that is no date, or one before now (virtual time only goes forward)
   */
  advanceTo(time: number | string): void {
    const target = typeof time === 'string' ? Date.parse(time) : time;
    if (typeof target !== 'number' || !Number.isFinite(target)) {
      throw new ConfigError('advanceTo', ['time'], [`time: not a date: ${JSON.stringify(time)}`]);
    }
    if (target < this.now()) {
      const [when, now] = [new Date(target), new Date(this.now())].map((d) => d.toISOString());
      throw new ConfigError('advanceTo', ['time'], [`time: ${when} is before now (${now})`]);
    }
    this.advanceBy(target - this.now());
  }
}

/**
 * A {@link VirtualClock} starting at `isoDate`.
 *
 * @example
 * const clock = virtualClock('2026-03-29T00:00:00Z');
 * cron('0 * * * *', { tz: 'Europe/Paris', scheduler: clock }).subscribe(log);
 * clock.advanceBy(24 * 3_600_000);
 */
export function virtualClock(isoDate: string): VirtualClock {
  const epochMs = Date.parse(isoDate);
  if (Number.isNaN(epochMs)) {
    throw new ConfigError('virtualClock', ['isoDate'], [`isoDate: not a date: ${JSON.stringify(isoDate)}`]);
  }
  return new VirtualClock(epochMs);
}
