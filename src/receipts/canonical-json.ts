/** A value canonical JSON can encode. */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/**
 * Canonical JSON: keys sorted (by UTF-16 code units) at every depth, no whitespace, otherwise
 * `JSON.stringify`'s encoding of strings and numbers. Object entries whose value is `undefined` are
 * left out, as JSON.stringify does.
 *
 * @throws TypeError for what JSON cannot carry faithfully: non-finite numbers, bigints, functions,
 * symbols, and cycles
 */
export function canonicalJson(value: unknown): string {
  return encode(value, new Set());
}

function encode(value: unknown, path: Set<object>): string {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot encode ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (path.has(value)) throw new TypeError('canonical JSON cannot encode a cycle');
      path.add(value);
      let out: string;
      if (Array.isArray(value))
        out = `[${value.map((item: unknown) => encode(item ?? null, path)).join(',')}]`;
      else {
        const record = value as Record<string, unknown>;
        const keys = Object.keys(record)
          .filter((key) => record[key] !== undefined)
          .sort();
        out = `{${keys.map((key) => `${JSON.stringify(key)}:${encode(record[key], path)}`).join(',')}}`;
      }
      path.delete(value);
      return out;
    }
    default:
      throw new TypeError(`canonical JSON cannot encode a ${typeof value}`);
  }
}
