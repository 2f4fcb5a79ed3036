import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseConfig } from '../../operators/internal/index.js';
import { AuthError } from '../errors.js';
import { blake3, toHex } from '../receipts/blake3.js';

/** Every key starts with this, so a leaked one is recognisable (and greppable by secret scanners). */
export const API_KEY_PREFIX = 'rxd_';
const KEY_PATTERN = /^rxd_[A-Za-z0-9_-]{43}$/;
const HASH_PATTERN = /^[0-9a-f]{64}$/;
const DOMAIN = 'rxdaemon api key v1:';

/** A new API key: the prefix and 32 random bytes in base64url (43 characters). Store only its hash. */
export function generateApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

/** The BLAKE3 hash (lowercase hex) to store for `key`, domain-separated from every other BLAKE3 use here. */
export function hashApiKey(key: string): string {
  if (typeof key !== 'string') throw new TypeError('hashApiKey: the key must be a string');
  return toHex(blake3(DOMAIN + key));
}

/**
 * What a presented key is hashed from — the domain, then the key's 47 ASCII characters — in one
 * buffer written in place: a request's key check joins and encodes no string.
 */
const keyText = new TextEncoder().encode(DOMAIN + API_KEY_PREFIX + 'x'.repeat(43));
const keyPart = keyText.subarray(DOMAIN.length);

/** BLAKE3 of the domain and `key`, a key that matched KEY_PATTERN (so 47 bytes of ASCII): as {@link hashApiKey}. */
function presentedDigest(key: string): Uint8Array {
  for (let i = 0; i < key.length; i++) keyPart[i] = key.charCodeAt(i);
  return blake3(keyText);
}

/**
 * An AuthError without a stack trace. A missing or wrong key is a client's mistake, not a bug to
 * trace; and capturing the stack (~7 µs under a server's call stack, ten times the key check) made a
 * 401 measurably slower than a 200 — a timing difference, and work an attacker's guesses cost us.
 */
function authFailure(reason: 'missing' | 'invalid'): AuthError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new AuthError(reason);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function digestBytes(hex: string): Buffer {
  return Buffer.from(hex, 'hex');
}

/**
 * Whether two 32-byte digests are equal, in time that does not depend on where they differ: every
 * byte is compared, the differences or-ed together, no branch on the data. (Node's
 * `timingSafeEqual` does the same behind a call into C++ that cost a third as much as the hash.)
 */
function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== 32 || b.length !== 32) return false;
  let difference = 0;
  for (let i = 0; i < 32; i++) difference |= a[i]! ^ b[i]!;
  return difference === 0;
}

/**
 * Whether `key` hashes to `hash`, compared in constant time. `false` — never a throw — for anything
 * malformed: a non-string, a key without the prefix or of the wrong length, a hash that is not 64
 * lowercase hex digits.
 */
export function verifyApiKey(key: unknown, hash: unknown): boolean {
  if (typeof key !== 'string' || typeof hash !== 'string') return false;
  if (!KEY_PATTERN.test(key) || !HASH_PATTERN.test(hash)) return false;
  return sameDigest(digestBytes(hashApiKey(key)), digestBytes(hash));
}

export interface ApiKeyAuthOptions {
  /** Hashes (from `hashApiKey`) of the keys that are let in. */
  readonly hashes: readonly string[];
  /** `required`: every call needs a valid key; `optional`: no key is anonymous, a wrong key still fails. */
  readonly mode?: 'required' | 'optional';
}

export type AuthOutcome =
  | { readonly authenticated: true; readonly keyHash: string }
  | { readonly authenticated: false; readonly keyHash: undefined };

export interface ApiKeyAuth {
  readonly mode: 'required' | 'optional';
  /**
   * Checks a presented key (undefined or '' when none was presented).
   * @throws AuthError `missing` in required mode without a key, `invalid` for a key that matches none
   */
  authenticate(key: string | undefined): AuthOutcome;
}

const optionsSchema = z.strictObject({
  hashes: z.array(z.string().regex(HASH_PATTERN, 'must be 64 lowercase hex digits (hashApiKey)')),
  mode: z.enum(['required', 'optional']).optional(),
});

/**
 * API-key authentication against stored hashes. `mode` defaults to `required` when
 * `NODE_ENV=production` and `optional` otherwise. A key is compared with every stored hash in
 * constant time, without stopping at a match, so timing tells nothing about which keys exist.
 *
 * @throws ConfigError for a hash that is not a `hashApiKey` digest or an unknown mode
 */
export function createApiKeyAuth(options: ApiKeyAuthOptions): ApiKeyAuth {
  parseConfig('API key auth options', optionsSchema, options);
  const mode = options.mode ?? (process.env.NODE_ENV === 'production' ? 'required' : 'optional');
  const stored = options.hashes.map((hex) => ({ hex, bytes: digestBytes(hex) }));
  return {
    mode,
    authenticate(key) {
      if (key === undefined || key === '') {
        if (mode === 'required') throw authFailure('missing');
        return { authenticated: false, keyHash: undefined };
      }
      if (typeof key !== 'string' || !KEY_PATTERN.test(key)) throw authFailure('invalid');
      // Compared as bytes with every stored hash, never stopping at a match; the hex the caller
      // sees is the stored hash that matched (the text hashApiKey gives), so none is formatted here.
      const digest = presentedDigest(key);
      let matched: string | undefined;
      for (const { hex, bytes } of stored) matched = sameDigest(digest, bytes) ? hex : matched;
      if (matched === undefined) throw authFailure('invalid');
      return { authenticated: true, keyHash: matched };
    },
  };
}
