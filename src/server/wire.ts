import { errorSummary } from '../errors.js';

/**
 * JSON for the wire from anything an event or a result holds: an Error as its name, message and
 * code (never its stack), a bigint as a string, a cycle as `"[Circular]"`, functions and symbols
 * left out — so no event or result can break a response or leak a stack trace.
 */
export function toWire(value: unknown): string {
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
