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

/** BLAKE3 of bytes, by whichever hasher is ready. */
function digestOf(bytes: Uint8Array | string): Uint8Array {
  if (hasher === undefined) return pureBlake3(typeof bytes === 'string' ? encoder.encode(bytes) : bytes);
  hasher.init();
  hasher.update(bytes);
  return hasher.digest('binary');
}

/** 0x01 ‖ left ‖ right, reused: one `update` per node instead of three (each call crosses into WASM). */
const nodeInput = new Uint8Array(65);
nodeInput[0] = 0x01;

/** BLAKE3 of `data` (UTF-8 for a string), 32 bytes. */
export function blake3(data: Uint8Array | string): Uint8Array {
  return digestOf(data);
}

/** Reused UTF-8 scratch space: encoding a receipt into it allocates nothing per receipt. */
let scratch = new Uint8Array(4096);

/** A Merkle leaf: BLAKE3(0x00 ‖ UTF-8 of text). */
export function leafHash(text: string): Uint8Array {
  // UTF-8 takes at most 3 bytes per UTF-16 code unit; byte 0 is the 0x00 prefix.
  if (scratch.length < text.length * 3 + 1) scratch = new Uint8Array(text.length * 3 + 1);
  scratch[0] = 0x00;
  const { written } = encoder.encodeInto(text, scratch.subarray(1));
  return digestOf(scratch.subarray(0, written + 1));
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
