import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { blake3 as blake3Hex } from 'hash-wasm';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  createReceiptLog,
  importReceipts,
  ConfigError,
  hashingReady,
  NotSerializableError,
  ReceiptVerificationError,
  signCheckpoint,
  verifyCheckpoint,
  verifyConsistency,
  verifyProof,
  verifyReceipts,
} from 'rxdaemon';

const bytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g)!.map((h) => parseInt(h, 16)));
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

/** The root as DESIGN.md §8 defines it, written independently: pair level by level, promote an odd node. */
async function independentRoot(leaves: string[]): Promise<string> {
  if (leaves.length === 0) return blake3Hex(new Uint8Array(0));
  let level = leaves;
  while (level.length > 1) {
    const next: string[] = [];
    for (let i = 0; i < level.length; i += 2) {
      next.push(
        i + 1 < level.length
          ? await blake3Hex(concat(new Uint8Array([1]), bytes(level[i]!), bytes(level[i + 1]!)))
          : level[i]!,
      );
    }
    level = next;
  }
  return level[0]!;
}

const flipByte = (hex: string, byte: number): string => {
  const value = parseInt(hex.slice(2 * byte, 2 * byte + 2), 16) ^ 0x01;
  return hex.slice(0, 2 * byte) + value.toString(16).padStart(2, '0') + hex.slice(2 * byte + 2);
};

describe('receipts: hash chain and Merkle tree', () => {
  it('hashes each receipt as BLAKE3(0x00 ‖ canonical JSON of { seq, prevHash, record }) and chains them', async () => {
    const log = createReceiptLog();
    const first = log.append({ b: 2, a: [1, { d: true, c: null }] });
    const second = log.append('second');
    expect(first.prevHash).toBe('0'.repeat(64));
    expect(second.prevHash).toBe(first.hash);
    const body = '{"prevHash":"' + '0'.repeat(64) + '","record":{"a":[1,{"c":null,"d":true}],"b":2},"seq":0}';
    expect(first.hash).toBe(await blake3Hex(concat(new Uint8Array([0]), new TextEncoder().encode(body))));
  });

  it('has the root of an independent computation for every size from 1 to 64, and BLAKE3("") when empty', async () => {
    expect(createReceiptLog().root()).toBe(await blake3Hex(new Uint8Array(0)));
    const log = createReceiptLog();
    const leaves: string[] = [];
    for (let size = 1; size <= 64; size++) {
      leaves.push(log.append({ n: size, payload: 'x'.repeat(size) }).hash);
      expect(log.root(), `size ${size}`).toBe(await independentRoot(leaves));
    }
  });

  it('gives every leaf of every size a proof that verifies, and none that survives a flipped byte', () => {
    const log = createReceiptLog();
    for (let size = 1; size <= 33; size++) {
      log.append({ size });
      for (let seq = 0; seq < size; seq++) {
        const proof = log.proof(seq);
        expect(verifyProof(proof), `size ${size}, leaf ${seq}`).toBe(true);
        if (size !== 33 && seq % 7 !== 0) continue; // the byte flips run on a sample: each costs hashes
        for (let byte = 0; byte < 32; byte++) {
          expect(verifyProof({ ...proof, leaf: flipByte(proof.leaf, byte) })).toBe(false);
          expect(verifyProof({ ...proof, root: flipByte(proof.root, byte) })).toBe(false);
          proof.siblings.forEach((sibling, i) => {
            const siblings = proof.siblings.map((s, j) =>
              j === i ? { ...s, hash: flipByte(s.hash, byte) } : s,
            );
            expect(verifyProof({ ...proof, siblings })).toBe(false);
          });
        }
      }
    }
  });

  it('rejects a proof whose index, size or sides do not fit', () => {
    const log = createReceiptLog();
    for (let i = 0; i < 5; i++) log.append(i);
    const proof = log.proof(2);
    expect(verifyProof({ ...proof, index: 3 })).toBe(false);
    expect(verifyProof({ ...proof, size: 3 })).toBe(false); // another shape; size 8 has the same one
    expect(
      verifyProof({
        ...proof,
        siblings: proof.siblings.map((s) => ({ ...s, side: s.side === 'left' ? 'right' : 'left' })),
      }),
    ).toBe(false);
    expect(verifyProof({ ...proof, siblings: proof.siblings.slice(1) })).toBe(false);
  });

  it('exports JSON lines that verify, and names the first receipt removed, reordered or altered', () => {
    const log = createReceiptLog();
    for (let i = 0; i < 6; i++) log.append({ run: `op#${i}`, status: i % 2 ? 'failed' : 'succeeded' });
    const lines = log.export().trimEnd().split('\n');
    expect(verifyReceipts(lines)).toEqual({ valid: true, count: 6, root: log.root() });
    expect(verifyReceipts(lines.filter((_, i) => i !== 3))).toMatchObject({ valid: false, seq: 3, line: 4 });
    expect(verifyReceipts([lines[0]!, lines[2]!, lines[1]!, ...lines.slice(3)])).toMatchObject({
      valid: false,
      seq: 1,
    });
    const altered = lines.map((line, i) => (i === 3 ? line.replace('failed', 'succeeded') : line));
    expect(altered[3]).not.toBe(lines[3]);
    expect(verifyReceipts(altered)).toMatchObject({
      valid: false,
      seq: 3,
      reason: expect.stringMatching(/hash/),
    });
    expect(verifyReceipts(['{oops'])).toMatchObject({ valid: false, seq: 0, reason: 'not JSON' });
    expect(importReceipts(lines).root()).toBe(log.root());
    expect(() => importReceipts(altered)).toThrow(ReceiptVerificationError);
    // Not lines at all: named like any bad receipt, not a TypeError from spreading it.
    expect(() => importReceipts(undefined as never)).toThrow(ReceiptVerificationError);
    // A generator is read once: imported from the lines it yields.
    expect(
      importReceipts(
        (function* () {
          yield* lines;
        })(),
      ).root(),
    ).toBe(log.root());
  });

  it('canonical JSON sorts keys at every depth and refuses what JSON cannot carry', () => {
    expect(canonicalJson({ b: { y: 1, x: [3, { q: 1, p: 2 }] }, a: 'é' })).toBe(
      '{"a":"é","b":{"x":[3,{"p":2,"q":1}],"y":1}}',
    );
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(() => canonicalJson({ n: NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ n: 1n })).toThrow(TypeError);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => canonicalJson(cycle)).toThrow(/cycle/);
  });

  it('canonical JSON refuses a Date, Map, Set or class instance with a NotSerializableError naming the path', () => {
    class Point {
      x = 1;
    }
    const cases: [unknown, string][] = [
      [{ at: new Date(0) }, 'value.at'],
      [{ list: [1, new Map()] }, 'value.list[1]'],
      [{ a: { b: new Set([1]) } }, 'value.a.b'],
      [[new Point()], 'value[0]'],
      [{ n: Infinity }, 'value.n'],
    ];
    for (const [value, path] of cases) {
      const error = (() => {
        try {
          canonicalJson(value);
        } catch (e) {
          return e;
        }
      })();
      expect(error, path).toBeInstanceOf(NotSerializableError);
      expect((error as NotSerializableError).path, path).toBe(path);
    }
    expect(() => createReceiptLog().append({ when: new Date(0) } as never)).toThrow(/record\.when/);
    expect(canonicalJson(Object.assign(Object.create(null) as object, { b: 1, a: 2 }))).toBe('{"a":2,"b":1}');
  });

  it('canonical JSON matches RFC 8785 (JCS): its number serialisation, key order and string examples', () => {
    const numbers: [number, string][] = [
      [0, '0'],
      [-0, '0'],
      [5e-324, '5e-324'],
      [1.7976931348623157e308, '1.7976931348623157e+308'],
      [9007199254740992, '9007199254740992'],
      [295147905179352830000, '295147905179352830000'],
      [1e23, '1e+23'],
      [0.000001, '0.000001'],
      [9.999999999999997e-7, '9.999999999999997e-7'],
      [333333333.3333332, '333333333.3333332'],
    ];
    for (const [n, text] of numbers) expect(canonicalJson(n)).toBe(text);
    // §3.2.3: properties sorted by their UTF-16 code units.
    const sorted = canonicalJson({
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    });
    // (JSON.parse would put the integer-like key first again: read the keys off the text.)
    const keys = [...sorted.matchAll(/"((?:[^"\\]|\\.)*)":/g)].map((m) => JSON.parse(`"${m[1]!}"`) as string);
    expect(keys).toEqual(['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
    // §3.2.4's example.
    expect(
      canonicalJson({
        // eslint-disable-next-line no-loss-of-precision -- the RFC's own literal, rounded as JSON.parse would
        numbers: [333333333.33333329, 1e30, 4.5, 2e-3, 0.000000000000000000000000001],
        string: '\u20ac$\u000F\u000aA\'\u0042\u0022\u005c\\"/',
        literals: [null, true, false],
      }),
    ).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('verify rejects rows carrying what their hash does not cover, and never throws on what is not receipts', () => {
    const log = createReceiptLog();
    log.append({ amount: 10 });
    log.append({ amount: 20 });
    const [first, second] = log.export().trim().split('\n') as [string, string];
    expect(verifyReceipts([first, second])).toMatchObject({ valid: true, count: 2 });
    const extra = second.replace(/}$/, ',"approvedBy":"mallory"}');
    expect(verifyReceipts([first, extra])).toMatchObject({
      valid: false,
      seq: 1,
      reason: expect.stringMatching(/does not cover/),
    });
    const duplicate = second.replace('"record":', '"record":{"amount":999},"record":');
    expect(JSON.parse(duplicate)).toEqual(JSON.parse(second)); // JSON.parse keeps the last
    expect(verifyReceipts([first, duplicate])).toMatchObject({ valid: false, seq: 1 });
    expect(verifyReceipts(null as never)).toMatchObject({ valid: false, line: 0 });
    expect(verifyReceipts([first, 42] as never)).toMatchObject({ valid: false, seq: 1, line: 2 });
    expect(verifyReceipts([first, null] as never)).toMatchObject({ valid: false, seq: 1 });
  });

  it('verifyProof returns false at once for a size past 2^53 or near a power of two it cannot reach', () => {
    const log = createReceiptLog();
    for (let i = 0; i < 5; i++) log.append({ i });
    const proof = log.proof(3);
    expect(verifyProof(proof)).toBe(true);
    for (const size of [2 ** 49, 2 ** 49 + 1, 2 ** 53 - 1, 2 ** 53, 2 ** 60]) {
      expect(verifyProof({ ...proof, size }), String(size)).toBe(false);
    }
  });

  it('consistency proofs (RFC 6962 §2.1.2) show a log only grew; a rewritten prefix or a bad hash fails', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 70 }), fc.integer({ min: 0, max: 70 }), (newSize, offset) => {
        const oldSize = 1 + (offset % newSize);
        const log = createReceiptLog();
        for (let i = 0; i < newSize; i++) log.append({ i });
        const proof = log.consistency(oldSize);
        expect(verifyConsistency(proof)).toBe(true);
        const other = createReceiptLog();
        for (let i = 0; i < newSize; i++) other.append({ i: i === 0 ? 'rewritten' : i });
        expect(verifyConsistency({ ...proof, oldRoot: other.rootAt(oldSize) })).toBe(false);
        if (proof.hashes.length > 0) {
          const hashes = [...proof.hashes];
          hashes[hashes.length - 1] = hashes[0] === '0'.repeat(64) ? '1'.repeat(64) : '0'.repeat(64);
          expect(verifyConsistency({ ...proof, hashes })).toBe(false);
        }
        // (The sizes are bound to the roots by signed checkpoints, not by the proof alone.)
      }),
      { numRuns: 300 },
    );
    expect(verifyConsistency(null)).toBe(false);
    expect(
      verifyConsistency({ oldSize: 2 ** 60, newSize: 2 ** 61, oldRoot: 'x', newRoot: 'y', hashes: [] }),
    ).toBe(false);
  });

  it('signed checkpoints: Ed25519 over size, root and time; any change to them fails', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const log = createReceiptLog();
    for (let i = 0; i < 7; i++) log.append({ i });
    const checkpoint = signCheckpoint(log, privateKey);
    expect(checkpoint).toMatchObject({ size: 7, root: log.root() });
    expect(verifyCheckpoint(checkpoint, publicKey)).toBe(true);
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    expect(verifyCheckpoint(JSON.parse(JSON.stringify(checkpoint)) as unknown, pem)).toBe(true);
    for (const forged of [
      { ...checkpoint, size: 6 },
      { ...checkpoint, root: log.rootAt(6) },
      { ...checkpoint, timestamp: checkpoint.timestamp + 1 },
      { ...checkpoint, signature: 'AAAA' },
      null,
    ]) {
      expect(verifyCheckpoint(forged, publicKey)).toBe(false);
    }
    expect(verifyCheckpoint(checkpoint, generateKeyPairSync('ed25519').publicKey)).toBe(false);
    expect(() => signCheckpoint(log, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)).toThrow(
      ConfigError,
    );
    expect(() => signCheckpoint(log, 'not a key')).toThrow(ConfigError);
    for (const key of [undefined, {}, 42]) {
      expect(() => verifyCheckpoint(checkpoint, key as never)).toThrow(/KeyObject or a PEM string/);
      expect(() => signCheckpoint(log, key as never)).toThrow(ConfigError);
    }
  });

  it('hashingReady resolves, and digests are the same either side of it (the pure-JS path itself is checked in scripts/check-package.sh)', async () => {
    const log = createReceiptLog();
    log.append({ early: true });
    await hashingReady();
    const again = createReceiptLog();
    again.append({ early: true });
    expect(again.root()).toBe(log.root());
  });

  it('hashes strings of any script and size as BLAKE3 of their UTF-8, through one reused buffer', async () => {
    await hashingReady();
    const { blake3, leafHash, toHex } = await import('../src/receipts/blake3.js');
    const utf8 = (text: string) => new TextEncoder().encode(text);
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 300 }), async (text) => {
        expect(toHex(blake3(text))).toBe(await blake3Hex(utf8(text)));
        expect(toHex(leafHash(text))).toBe(await blake3Hex(concat(new Uint8Array([0]), utf8(text))));
      }),
    );
    // Past the reused buffer's bound (1 MiB): its own space, and the next small one still right.
    const large = 'ä€'.repeat(400_000);
    expect(toHex(leafHash(large))).toBe(await blake3Hex(concat(new Uint8Array([0]), utf8(large))));
    expect(toHex(blake3('after'))).toBe(await blake3Hex(utf8('after')));
  });

  it('verifyProof never throws, whatever it is given', () => {
    const log = createReceiptLog();
    for (let i = 0; i < 9; i++) log.append(i);
    const real = log.proof(4);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.anything(),
          fc.record({
            leaf: fc.string(),
            index: fc.anything(),
            size: fc.integer(),
            siblings: fc.anything(),
            root: fc.string(),
          }),
          fc.record({
            leaf: fc.constant(real.leaf),
            index: fc.integer({ min: -3, max: 12 }),
            size: fc.constant(real.size),
            siblings: fc.array(fc.anything()),
            root: fc.constant(real.root),
          }),
        ),
        (input) => {
          expect(typeof verifyProof(input)).toBe('boolean');
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('receipts from the daemon and the MI engine', () => {
  it('appends one receipt per operation run and per MI decision, and the log verifies', async () => {
    const { createDaemon, runMultipleInstance, threshold, toMIResult } = await import('rxdaemon');
    const { lastValueFrom } = await import('rxjs');
    const log = createReceiptLog();
    const daemon = createDaemon({ receipts: log });
    daemon.schedule({ id: 'ok', run: () => Promise.resolve(1) });
    daemon.schedule({ id: 'bad', run: () => Promise.reject(new TypeError('nope')) });
    daemon.start();
    await daemon.execute('ok');
    await daemon.execute('bad');
    await daemon.stop();
    await lastValueFrom(
      runMultipleInstance([1, 2, 3], {
        taskId: 'quotes',
        run: (i: number) => Promise.resolve(i),
        concurrency: 3,
        completion: threshold(2),
        receipts: log,
      }).pipe(toMIResult()),
    );
    expect(log.entries().map((r) => r.record)).toEqual([
      expect.objectContaining({
        kind: 'operation-run',
        operationId: 'ok',
        runId: 'ok#1',
        status: 'succeeded',
        error: null,
      }),
      expect.objectContaining({
        kind: 'operation-run',
        operationId: 'bad',
        status: 'failed',
        error: { name: 'TypeError', message: 'nope' },
      }),
      expect.objectContaining({
        kind: 'mi-decision',
        taskId: 'quotes',
        status: 'completed',
        reason: 'threshold',
      }),
    ]);
    expect(verifyReceipts(log.export())).toMatchObject({ valid: true, count: 3, root: log.root() });
    expect(log.entries().every((_, seq) => verifyProof(log.proof(seq)))).toBe(true);
  });
});
