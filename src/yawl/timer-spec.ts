import { contentDocument, mappedValue } from './case-data.js';

/**
 * YAWL timer values: ISO 8601 durations (years and months by the UTC calendar), `xsd:dateTime` or
 * epoch-ms expiries, and the `YTimerType` value a net variable holds for a late-bound timer.
 */

/** When a timer starts counting: its task enabled (YAWL's OnEnabled) or started (OnExecuting). */
export type TimerTrigger = 'enabled' | 'started';

/** A timer resolved to when it fires: an absolute time, or a duration from when it is armed. */
export type TimerDue = { readonly at: number } | { readonly duration: string };

const DURATION =
  /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
/** `xsd:dateTime`: a date, a time, an optional fraction and zone. */
const DATE_TIME = /^-?\d{4,}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?$/;

interface Parts {
  readonly years: number;
  readonly months: number;
  /** Weeks, days, hours, minutes and seconds, which do not depend on the calendar. */
  readonly ms: number;
}

/** An ISO 8601 duration (`PT30M`, `P1DT2H`, `P2W`, `P1Y2M`), or `undefined` when it is not one. */
export function parseDuration(text: string): Parts | undefined {
  const match = DURATION.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return undefined;
  const [, years, months, weeks, days, hours, minutes, seconds] = match;
  return {
    years: Number(years ?? 0),
    months: Number(months ?? 0),
    ms:
      ((Number(weeks ?? 0) * 7 + Number(days ?? 0)) * 86_400 +
        Number(hours ?? 0) * 3600 +
        Number(minutes ?? 0) * 60) *
        1000 +
      Math.round(Number(seconds ?? 0) * 1000),
  };
}

/**
 * When a duration started at `start` (epoch ms) ends: years and months on the UTC calendar (the
 * 31st plus a month is the last day of the next month, as `java.time` does), then the rest.
 */
export function durationEnd(start: number, duration: string): number {
  const parts = parseDuration(duration);
  if (!parts) throw new Error(`not an ISO 8601 duration: "${duration.slice(0, 30)}"`);
  const date = new Date(start);
  if (parts.years > 0 || parts.months > 0) {
    const day = date.getUTCDate();
    date.setUTCDate(1);
    date.setUTCMonth(date.getUTCMonth() + parts.years * 12 + parts.months);
    const lastDay = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
    date.setUTCDate(Math.min(day, lastDay));
  }
  return date.getTime() + parts.ms;
}

/**
 * A timer's expiry as YAWL reads it: an ISO duration (starting with `P`), an `xsd:dateTime`, or
 * epoch ms.
 * @throws Error naming the value when it is none of them
 */
export function parseExpiry(text: string): TimerDue {
  const value = text.trim();
  if (value.startsWith('P')) {
    if (!parseDuration(value)) throw new Error(`not an ISO 8601 duration: "${value.slice(0, 30)}"`);
    return { duration: value };
  }
  if (DATE_TIME.test(value)) {
    const at = Date.parse(value);
    if (!Number.isNaN(at)) return { at };
  }
  if (/^\d+$/.test(value) && Number.isSafeInteger(Number(value))) return { at: Number(value) };
  throw new Error(
    `a timer's expiry must be a duration, an xsd:dateTime or epoch ms, not "${value.slice(0, 30)}"`,
  );
}

/** YAWL's trigger names, as the timer element and a `YTimerType` value write them. */
export function parseTrigger(text: string | undefined): TimerTrigger {
  const value = text?.trim();
  if (value === 'OnEnabled') return 'enabled';
  if (value === 'OnExecuting') return 'started';
  throw new Error(`a timer's trigger must be OnEnabled or OnExecuting, not "${String(value).slice(0, 20)}"`);
}

/** `durationparams` units (YAWL's `YTimer.TimeUnit`) as ISO 8601 duration parts. */
const UNITS: Record<string, (n: number) => string> = {
  YEAR: (n) => `P${n}Y`,
  MONTH: (n) => `P${n}M`,
  WEEK: (n) => `P${n}W`,
  DAY: (n) => `P${n}D`,
  HOUR: (n) => `PT${n}H`,
  MIN: (n) => `PT${n}M`,
  SEC: (n) => `PT${n}S`,
  MSEC: (n) => `PT${n / 1000}S`,
};

/**
 * A timer's `durationparams` (`ticks` of an `interval` unit) as an ISO 8601 duration.
 * @throws Error for a tick count that is not a whole number, or an unknown unit
 */
export function intervalDuration(ticks: string | undefined, interval: string | undefined): string {
  const n = Number(ticks?.trim());
  const unit = UNITS[interval?.trim() ?? ''];
  if (!Number.isSafeInteger(n) || n < 0)
    throw new Error(`durationparams ticks must be a whole number, not "${String(ticks).slice(0, 20)}"`);
  if (!unit) throw new Error(`unknown durationparams interval "${String(interval).slice(0, 20)}"`);
  return unit(n);
}

/**
 * A late-bound timer from its net variable's value, YAWL's `YTimerType`:
 * `<trigger>OnEnabled</trigger><expiry>PT5M</expiry>` (the expiry a duration, an `xsd:dateTime` or
 * epoch ms).
 * @throws Error naming what is missing or malformed
 */
export function timerFromVariable(content: string): { readonly trigger: TimerTrigger } & TimerDue {
  const document = contentDocument('timer', content);
  const field = (name: string): string | undefined =>
    mappedValue(`if (/timer/${name}) then string(/timer/${name}) else ""`, document) || undefined;
  if (mappedValue('string(count(/timer/workdays))', document) !== '0')
    throw new Error('a timer counting work days only needs a work calendar: not supported');
  const trigger = parseTrigger(field('trigger'));
  const expiry = field('expiry');
  if (expiry === undefined) throw new Error('the timer variable has no <expiry>');
  return { trigger, ...parseExpiry(expiry) };
}
