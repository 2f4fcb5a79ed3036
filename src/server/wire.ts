import { errorSummary } from '../errors.js';

/** Nesting past this goes the careful way: it may be a cycle, and the walk must stay bounded. */
const MAX_PLAIN_DEPTH = 64;

/**
 * JSON for the wire from anything an event or a result holds: an Error as its name, message and
 * code (never its stack), a bigint as a string, a cycle as `"[Circular]"`, functions and symbols
 * left out — so no event or result can break a response or leak a stack trace.
 *
 * Most values hold none of those, and V8's own `JSON.stringify` writes them several times faster
 * than it can with a replacer function; so a value that a quick walk finds plain is written
 * natively, and only the rest take the replacer. (Both write the same text for a plain value.)
 */
export function toWire(value: unknown): string {
  try {
    if (isPlain(value, 0)) return JSON.stringify(value) ?? 'null';
  } catch {
    // A getter or a toJSON that throws: the careful way describes it.
  }
  return carefulWire(value);
}

/** {@link toWire} through the replacer, whatever the value holds (exported for its tests). */
export function carefulWire(value: unknown): string {
  // The objects from the root to the one being written: a value among them is a cycle. (A value
  // merely seen before is not: two fields may share one object.)
  const ancestors: unknown[] = [];
  try {
    return writeJson(value, ancestors);
  } catch (error) {
    // A getter or a toJSON that throws: the value is described, never thrown at the caller (an
    // event publisher, a response being written).
    return JSON.stringify({ unserializable: errorOf(error).message });
  }
}

/**
 * Whether native `JSON.stringify` writes `value` as {@link writeJson} would: no bigint (it would
 * throw), no Error or AbortSignal (written as `{}`), no `toJSON` other than a Date's (its result is
 * not walked here), and no deeper than {@link MAX_PLAIN_DEPTH} (a cycle never ends).
 */
function isPlain(value: unknown, depth: number): boolean {
  if (typeof value === 'bigint') return false;
  if (typeof value !== 'object' || value === null) return true;
  if (depth > MAX_PLAIN_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!isPlain(value[i], depth + 1)) return false;
    return true;
  }
  if (value instanceof Date) return true;
  if (value instanceof Error) return false;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  if (typeof AbortSignal !== 'undefined' && value instanceof AbortSignal) return false;
  for (const key in value) {
    if (Object.hasOwn(value, key) && !isPlain((value as Record<string, unknown>)[key], depth + 1))
      return false;
  }
  return true;
}

function writeJson(value: unknown, ancestors: unknown[]): string {
  return (
    JSON.stringify(value, function replacer(this: unknown, _key, item: unknown) {
      if (typeof item === 'bigint') return item.toString();
      if (typeof item === 'function' || typeof item === 'symbol') return undefined;
      if (item instanceof Error) return errorOf(item);
      if (typeof item !== 'object' || item === null) return item;
      if (typeof AbortSignal !== 'undefined' && item instanceof AbortSignal) return undefined;
      const parent = ancestors.lastIndexOf(this);
      ancestors.length = parent + 1; // leave the siblings' subtrees
      if (ancestors.includes(item)) return '[Circular]';
      ancestors.push(item);
      return item;
    }) ?? 'null'
  );
}

/** What an error says about itself on the wire (never its stack). */
export const errorOf = errorSummary;
