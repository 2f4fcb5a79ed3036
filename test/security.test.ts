import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  API_KEY_PREFIX,
  assertSafeIdentifier,
  AuthError,
  ConfigError,
  createApiKeyAuth,
  createRateLimiter,
  detectInjection,
  generateApiKey,
  hashApiKey,
  InjectionError,
  RateLimitError,
  verifyApiKey,
} from 'rxdaemon';
import { virtualClock } from 'rxdaemon/testing';
import { attacks, identifiers, labels } from './security-corpus.js';

describe('injection detection', () => {
  it(`flags every one of ${attacks.length} attack strings`, () => {
    expect(attacks.length).toBeGreaterThanOrEqual(50);
    const missed = attacks.filter((attack) => detectInjection(attack).safe);
    expect(missed).toEqual([]);
  });

  it(`flags none of ${identifiers.length + labels.length} ordinary identifiers and labels`, () => {
    expect(identifiers.length + labels.length).toBeGreaterThanOrEqual(50);
    const flagged = [...identifiers, ...labels]
      .map((value) => ({ value, threats: detectInjection(value).threats.map((t) => `${t.kind}:${t.rule}`) }))
      .filter((r) => r.threats.length > 0);
    expect(flagged).toEqual([]);
    for (const id of identifiers) expect(() => assertSafeIdentifier(id), id).not.toThrow();
  });

  it('assertSafeIdentifier throws an InjectionError naming the threats', () => {
    expect(() => assertSafeIdentifier("x'; DROP TABLE users; --")).toThrow(InjectionError);
    try {
      assertSafeIdentifier('../../etc/passwd');
    } catch (error) {
      expect((error as InjectionError).threats).toEqual(
        expect.arrayContaining(['path-traversal:dot-dot-segment']),
      );
    }
    expect(() => assertSafeIdentifier('two words')).toThrow(/not-an-identifier/);
    expect(() => assertSafeIdentifier('')).toThrow(InjectionError);
    expect(() => assertSafeIdentifier(42)).toThrow(InjectionError);
  });

  it('takes linear time: adversarial inputs of 16 K characters never backtrack (issue: 1.6 s at 146 characters)', () => {
    const fragments = [
      'union',
      ' ',
      '/**/',
      '/*',
      "'",
      '"',
      ')',
      '(',
      'select',
      ' or ',
      '=',
      '$(',
      '`',
      '..',
      '%2e',
      '/',
      ';',
      'a',
      '1',
      '\n',
      '{',
      '}',
      '<',
      '>',
      '\t',
      'where',
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...fragments), { minLength: 1000, maxLength: 5000 }), (parts) => {
        const value = parts.join('').slice(0, 16_384);
        expect(typeof detectInjection(value).safe).toBe('boolean');
        expect(() => assertSafeIdentifier(value)).toThrow(InjectionError);
      }),
      { numRuns: 100 },
    );
    for (const value of [
      'union' + ' /**/'.repeat(4000) + 'x',
      "'" + ' '.repeat(16_000) + 'x',
      '$('.repeat(8000),
    ]) {
      expect(typeof detectInjection(value).safe).toBe('boolean');
    }
  }, 10_000);

  it('finds an attack wherever it sits in ordinary padding, and flags what is too long to inspect', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', ' ', '-', 'é'), maxLength: 10_000 }),
        fc.constantFrom(...attacks.filter((a) => a.length < 200)),
        (padding, attack) => {
          expect(detectInjection(padding + ' ' + attack).safe).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
    expect(detectInjection('a'.repeat(20_000)).threats).toEqual([
      { kind: 'oversized', rule: 'longer-than-16384' },
    ]);
  });

  it('detectInjection never throws, whatever it is given', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string(), fc.string({ unit: 'binary' })), (value) => {
        const report = detectInjection(value);
        expect(typeof report.safe).toBe('boolean');
      }),
      { numRuns: 1000 },
    );
    expect(
      detectInjection({
        toString: () => {
          throw new Error('x');
        },
      }).safe,
    ).toBe(false);
  });
});

describe('API keys', () => {
  it('generates recognisable keys of 32 random bytes, hashed with BLAKE3', () => {
    const key = generateApiKey();
    expect(key.startsWith(API_KEY_PREFIX)).toBe(true);
    expect(Buffer.from(key.slice(API_KEY_PREFIX.length), 'base64url')).toHaveLength(32);
    expect(generateApiKey()).not.toBe(key);
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyApiKey(key, hashApiKey(key))).toBe(true);
    expect(verifyApiKey(generateApiKey(), hashApiKey(key))).toBe(false);
  });

  it('verifyApiKey returns false, never throws, for anything malformed', () => {
    const key = generateApiKey();
    const hash = hashApiKey(key);
    expect(verifyApiKey(key.slice(0, -1), hash)).toBe(false);
    expect(verifyApiKey(key, hash.toUpperCase())).toBe(false);
    expect(verifyApiKey(key, hash.slice(2))).toBe(false);
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (k, h) => {
        expect(verifyApiKey(k, h)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('createApiKeyAuth: required mode needs a valid key, optional mode lets anonymous calls in', () => {
    const key = generateApiKey();
    const required = createApiKeyAuth({
      hashes: [hashApiKey(generateApiKey()), hashApiKey(key)],
      mode: 'required',
    });
    expect(required.authenticate(key)).toEqual({ authenticated: true, keyHash: hashApiKey(key) });
    expect(() => required.authenticate(undefined)).toThrow(AuthError);
    expect(() => required.authenticate(generateApiKey())).toThrow(/not valid/);
    const optional = createApiKeyAuth({ hashes: [hashApiKey(key)], mode: 'optional' });
    expect(optional.authenticate(undefined)).toEqual({ authenticated: false, keyHash: undefined });
    expect(() => optional.authenticate('rxd_wrong')).toThrow(AuthError);
    expect(() => createApiKeyAuth({ hashes: ['not-a-hash'] })).toThrow(ConfigError);
  });

  it("a stored hash one bit away from the key's, at any of its 256 bits, lets nothing in", () => {
    const key = generateApiKey();
    const digest = Buffer.from(hashApiKey(key), 'hex');
    for (let bit = 0; bit < 256; bit++) {
      const near = Buffer.from(digest);
      near[bit >> 3]! ^= 1 << (bit & 7);
      const hex = near.toString('hex');
      expect(() => createApiKeyAuth({ hashes: [hex] }).authenticate(key)).toThrow(AuthError);
      expect(verifyApiKey(key, hex)).toBe(false);
    }
    expect(createApiKeyAuth({ hashes: [hashApiKey(key)] }).authenticate(key).authenticated).toBe(true);
  });

  it('rejecting a key costs about what accepting one does: no stack trace is captured for a 401', () => {
    const key = generateApiKey();
    const wrong = generateApiKey();
    const auth = createApiKeyAuth({ hashes: [hashApiKey(key)], mode: 'required' });
    // Under a server's call stack, as the control plane calls it.
    const deep = (depth: number, work: () => unknown): unknown =>
      depth === 0 ? work() : deep(depth - 1, work);
    const batch = (presented: string) => {
      const started = process.hrtime.bigint();
      for (let i = 0; i < 50; i++) {
        deep(30, () => {
          try {
            return auth.authenticate(presented);
          } catch (error) {
            return error;
          }
        });
      }
      return Number(process.hrtime.bigint() - started);
    };
    const accepted: number[] = [];
    const rejected: number[] = [];
    for (let round = 0; round < 220; round++) {
      const a = batch(key);
      const r = batch(wrong);
      if (round < 20) continue; // the first rounds warm the JIT
      accepted.push(a);
      rejected.push(r);
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
    // A throw costs something (×1.5 here); with a stack trace captured it was ×7.
    expect(median(rejected)).toBeLessThan(4 * median(accepted));
    expect(() => auth.authenticate(wrong)).toThrow(AuthError);
  });

  it('defaults to required under NODE_ENV=production', () => {
    const previous = process.env.NODE_ENV;
    try {
      process.env.NODE_ENV = 'production';
      expect(createApiKeyAuth({ hashes: [] }).mode).toBe('required');
      process.env.NODE_ENV = 'development';
      expect(createApiKeyAuth({ hashes: [] }).mode).toBe('optional');
    } finally {
      process.env.NODE_ENV = previous;
    }
  });
});

describe('rate limiter', () => {
  it('is a token bucket per key on the scheduler clock', () => {
    const clock = virtualClock('2026-01-01T00:00:00Z');
    const limiter = createRateLimiter({ capacity: 2, refillPerSecond: 4, scheduler: clock });
    expect(limiter.take('a')).toEqual({ allowed: true, remaining: 1, retryAfterMs: 0 });
    expect(limiter.take('a')).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    expect(limiter.take('a')).toEqual({ allowed: false, remaining: 0, retryAfterMs: 250 });
    expect(limiter.take('b').allowed).toBe(true); // keys do not share a bucket
    clock.advanceBy(250);
    expect(limiter.take('a')).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
  });

  it('consume is take that throws a RateLimitError past the limit, for callers whose limit is an error path', () => {
    const clock = virtualClock('2026-01-01T00:00:00Z');
    const limiter = createRateLimiter({ capacity: 1, refillPerSecond: 2, scheduler: clock });
    expect(limiter.consume('k')).toEqual({ allowed: true, remaining: 0, retryAfterMs: 0 });
    const refused = (() => {
      try {
        limiter.consume('k');
      } catch (error) {
        return error;
      }
    })();
    expect(refused).toBeInstanceOf(RateLimitError);
    expect(refused).toMatchObject({ code: 'RATE_LIMITED', key: 'k', retryAfterMs: 500 });
    clock.advanceBy(500);
    expect(limiter.consume('k').allowed).toBe(true);
  });

  it('forgets idle keys, so memory stays bounded by the active ones', () => {
    const clock = virtualClock('2026-01-01T00:00:00Z');
    const limiter = createRateLimiter({
      capacity: 5,
      refillPerSecond: 10,
      scheduler: clock,
      maxKeys: 10_000,
    });
    for (let i = 0; i < 5000; i++) limiter.take(`client-${i}`);
    clock.advanceBy(1000); // every bucket refills: idle keys are indistinguishable from new ones
    // Swept a few at a time, oldest first: no call walks the whole map.
    for (let i = 0; i < 3000; i++) limiter.take('busy');
    expect(limiter.size).toBeLessThan(10);
    const capped = createRateLimiter({ capacity: 5, refillPerSecond: 10, scheduler: clock, maxKeys: 100 });
    for (let i = 0; i < 1000; i++) capped.take(`burst-${i}`);
    expect(capped.size).toBe(100);
  });

  it('keys of any length: long keys are told apart by their digest, not scanned as V8-colliding strings', () => {
    const clock = virtualClock('2026-01-01T00:00:00Z');
    const limiter = createRateLimiter({ capacity: 1, refillPerSecond: 0.001, scheduler: clock });
    const long = (i: number): string => 'k'.repeat(20_000) + String(i).padStart(4, '0'); // same length
    for (let i = 0; i < 3000; i++) expect(limiter.take(long(i)).allowed).toBe(true);
    expect(limiter.size).toBe(3000);
    expect(limiter.take(long(42)).allowed).toBe(false); // the same long key is the same bucket
  }, 10_000);

  it('rejects bad options', () => {
    expect(() => createRateLimiter({ capacity: 0, refillPerSecond: 0 })).toThrow(
      /capacity.*refillPerSecond/s,
    );
  });
});
