/** A value canonical JSON can encode. */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Deeper than this is taken for a cycle: tracking visited objects would cost every receipt a Set. */
const MAX_DEPTH = 256;

/**
 * Canonical JSON: keys sorted (by UTF-16 code units) at every depth, no whitespace, otherwise
 * `JSON.stringify`'s encoding of strings and numbers. Object entries whose value is `undefined` are
 * left out and `undefined` in arrays becomes `null`, as JSON.stringify does.
 *
 * @throws TypeError for what JSON cannot carry faithfully: non-finite numbers, bigints, functions,
 * symbols, and cycles (or nesting deeper than 256)
 */
export function canonicalJson(value: unknown): string {
  return encode(value, 0);
}

/** Characters JSON.stringify would escape (or that need its lone-surrogate handling). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON must escape
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function encodeString(text: string): string {
  // A regex scan is several times faster than JSON.stringify's escaping pass over a long string.
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

function encode(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return encodeString(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot encode ${value}`);
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH)
        throw new TypeError(`canonical JSON cannot encode a cycle (or nesting deeper than ${MAX_DEPTH})`);
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++)
          out += (i === 0 ? '' : ',') + encode(value[i] ?? null, depth + 1);
        return out + ']';
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = '{';
      for (const key of keys) {
        const item = record[key];
        if (item === undefined) continue;
        out += (out.length === 1 ? '' : ',') + encodeString(key) + ':' + encode(item, depth + 1);
      }
      return out + '}';
    }
    default:
      throw new TypeError(`canonical JSON cannot encode a ${typeof value}`);
  }
}
