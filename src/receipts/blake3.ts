import { blake3 as pureBlake3 } from '@noble/hashes/blake3.js';
import { createBLAKE3, type IHasher } from 'hash-wasm';

/**
 * One BLAKE3 hasher for the process. hash-wasm compiles its WASM asynchronously, and a top-level
 * await would make the package unloadable with `require` (ERR_REQUIRE_ASYNC_MODULE); so the WASM
 * hasher is started here without waiting, and until it is ready (the first turn of the event loop)
 * the same digests come from @noble/hashes' synchronous BLAKE3. Every receipt and key API stays
 * synchronous. Hashing is not re-entrant: each function below runs init → update → digest at once.
 */
const encoder = new TextEncoder();
let hasher: IHasher | undefined;
const wasmReady: Promise<void> = createBLAKE3().then(
  (ready) => void (hasher = ready),
  () => undefined, // no WebAssembly here: the pure-JS hasher serves every call
);

/**
 * Resolves once hashing runs on WebAssembly (about 4× the pure-JS speed for 1 KiB receipts). Only a
 * synchronous burst of hashing in the very turn the package is loaded runs before it; await this
 * first to measure, or to run such a burst at full speed.
 */
export function hashingReady(): Promise<void> {
  return wasmReady;
}

/** BLAKE3 of bytes (UTF-8 for a string), by whichever hasher is ready. */
function digestOf(data: Uint8Array | string): Uint8Array {
  const bytes = typeof data === 'string' ? utf8(data, 0) : data;
  if (hasher === undefined) return pureBlake3(bytes);
  hasher.init();
  hasher.update(bytes);
  return hasher.digest('binary');
}

/** Reused UTF-8 scratch space: encoding a string into it allocates nothing per hash. */
let scratch = new Uint8Array(4096);
const MAX_SCRATCH = 1 << 20;

/**
 * `text` as UTF-8 in the scratch space from byte `offset` on (the bytes before it left as they are);
 * a view of the scratch up to its end. hash-wasm would encode a string into a new Buffer on every
 * call — three times the cost of hashing an API key.
 */
function utf8(text: string, offset: number): Uint8Array {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  const needed = offset + text.length * 3;
  let into = scratch;
  if (into.length < needed) {
    // Grown up to a bound; a larger text gets space of its own (the scratch stays small).
    into = new Uint8Array(needed);
    into.set(scratch.subarray(0, offset));
    if (needed <= MAX_SCRATCH) scratch = into;
  }
  const { written } = encoder.encodeInto(text, into.subarray(offset));
  return into.subarray(0, offset + written);
}

/** 0x01 ‖ left ‖ right, reused: one `update` per node instead of three (each call crosses into WASM). */
const nodeInput = new Uint8Array(65);
nodeInput[0] = 0x01;

/** BLAKE3 of `data` (UTF-8 for a string), 32 bytes. */
export function blake3(data: Uint8Array | string): Uint8Array {
  return digestOf(data);
}

/** A Merkle leaf: BLAKE3(0x00 ‖ UTF-8 of text). */
export function leafHash(text: string): Uint8Array {
  scratch[0] = 0x00;
  return digestOf(utf8(text, 1));
}

/** A Merkle node: BLAKE3(0x01 ‖ left ‖ right) over raw 32-byte digests. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  nodeInput.set(left, 1);
  nodeInput.set(right, 33);
  return digestOf(nodeInput);
}

/** Lowercase hex of `bytes` (Node's native encoder: about twice as fast as a lookup table in JS). */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Lowercase hex of exactly 32 bytes to bytes, or undefined for anything else. */
export function digestFromHex(hex: unknown): Uint8Array | undefined {
  if (typeof hex !== 'string' || !/^[0-9a-f]{64}$/.test(hex)) return undefined;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}
