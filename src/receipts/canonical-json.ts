/** A value canonical JSON can encode. */
export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Deeper than this is taken for a cycle: tracking visited objects would cost every receipt a Set. */
const MAX_DEPTH = 256;

/**
 * A value JSON cannot carry faithfully — a `Date`, `Map`, `Set` or class instance (which JSON would
 * write as `{}` or a string), a non-finite number, a bigint, a function, a symbol, a cycle — named
 * by its path (`record.at`, `input.items[2]`). A TypeError, as JSON.stringify's own are.
 */
export class NotSerializableError extends TypeError {
  readonly code = 'NOT_SERIALIZABLE' as const;

  constructor(
    readonly path: string,
    readonly what: string,
  ) {
    super(
      `${path} is ${what}: only JSON values can be carried (null, booleans, finite numbers, strings, arrays, plain objects)`,
    );
    this.name = 'NotSerializableError';
  }
}

/** Where the encoder is, as keys and indexes: read only to name the path of a value it refuses. */
const at: (string | number)[] = [];

function pathOf(root: string): string {
  return at.reduce<string>(
    (path, part) => (typeof part === 'number' ? `${path}[${part}]` : `${path}.${part}`),
    root,
  );
}

/** What a non-plain object is, for an error: its constructor's name. */
function kindOf(value: object): string {
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return `a ${typeof name === 'string' && name !== '' ? name : 'class'} instance`;
}

const isPlain = (value: object): boolean => {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
};

/**
 * @throws NotSerializableError naming the first part of `value` that JSON would lose or refuse; an
 * `undefined` property is allowed (JSON leaves it out, as an optional field), `undefined` in an
 * array is not (JSON would make it `null`)
 */
export function assertJson(value: unknown, label: string, seen = new Set<object>(), path = label): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new NotSerializableError(path, String(value));
    return;
  }
  if (typeof value !== 'object') throw new NotSerializableError(path, `a ${typeof value}`);
  if (seen.has(value)) throw new NotSerializableError(path, 'a cycle');
  const array = Array.isArray(value);
  if (!array && !isPlain(value)) throw new NotSerializableError(path, kindOf(value));
  seen.add(value);
  if (array) value.forEach((item: unknown, i) => assertJson(item, label, seen, `${path}[${i}]`));
  else {
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) assertJson(item, label, seen, `${path}.${key}`);
    }
  }
  seen.delete(value);
}

/**
 * Canonical JSON (RFC 8785's JCS for the values receipts hold): keys sorted by UTF-16 code units at
 * every depth, no whitespace, numbers and strings as ECMAScript's JSON.stringify writes them.
 * Object entries whose value is `undefined` are left out and `undefined` in arrays becomes `null`,
 * as JSON.stringify does.
 *
 * @throws NotSerializableError (a TypeError) naming the path of what JSON cannot carry faithfully:
 * a Date, Map, Set or class instance, a non-finite number, a bigint, a function, a symbol, a cycle
 * (or nesting deeper than 256)
 */
export function canonicalJson(value: unknown, label = 'value'): string {
  at.length = 0;
  try {
    return encode(value, 0);
  } catch (error) {
    if (error instanceof Refusal) throw new NotSerializableError(pathOf(label), error.what);
    throw error;
  }
}

/** Thrown inside the encoder, turned into a NotSerializableError with the path at the top. */
class Refusal {
  constructor(readonly what: string) {}
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
      if (!Number.isFinite(value)) throw new Refusal(String(value));
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH) throw new Refusal(`a cycle (or nesting deeper than ${MAX_DEPTH})`);
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          at.push(i);
          out += (i === 0 ? '' : ',') + encode(value[i] ?? null, depth + 1);
          at.pop();
        }
        return out + ']';
      }
      if (!isPlain(value)) throw new Refusal(kindOf(value));
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = '{';
      for (const key of keys) {
        const item = record[key];
        if (item === undefined) continue;
        at.push(key);
        out += (out.length === 1 ? '' : ',') + encodeString(key) + ':' + encode(item, depth + 1);
        at.pop();
      }
      return out + '}';
    }
    default:
      throw new Refusal(`a ${typeof value}`);
  }
}
