import { createPrivateKey, createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { ConfigError } from '../errors.js';
import { digestFromHex, nodeHash, toHex } from './blake3.js';
import { canonicalJson } from './canonical-json.js';

/**
 * A signed tree head (RFC 6962 §3.5 in spirit): the log's size and Merkle root at a time, signed
 * with Ed25519. Kept apart from the log, it anchors it: a log cut short, or edited and re-hashed,
 * no longer has this root at this size.
 */
export interface Checkpoint {
  readonly size: number;
  /** The Merkle root over the first `size` receipts, lowercase hex. */
  readonly root: string;
  /** Scheduler ms when it was signed. */
  readonly timestamp: number;
  /** Ed25519 over the domain tag and the canonical JSON of `{ root, size, timestamp }`, base64. */
  readonly signature: string;
}

/** RFC 6962 §2.1.2: the tree of the first `oldSize` receipts is a prefix of the tree of `newSize`. */
export interface ConsistencyProof {
  readonly oldSize: number;
  readonly newSize: number;
  readonly oldRoot: string;
  readonly newRoot: string;
  readonly hashes: readonly string[];
}

/** A signature over a checkpoint can never be taken for a signature over anything else. */
const DOMAIN = 'rxdaemon checkpoint v1\n';

const signedBytes = (size: number, root: string, timestamp: number): Buffer =>
  Buffer.from(DOMAIN + canonicalJson({ root, size, timestamp }), 'utf8');

function ed25519Key(key: KeyObject | string, kind: 'private' | 'public'): KeyObject {
  if (typeof key !== 'string' && !(key instanceof KeyObject)) {
    throw new ConfigError(
      'checkpoint key',
      ['key'],
      [`must be a KeyObject or a PEM string, got ${typeof key}`],
    );
  }
  let object: KeyObject;
  try {
    object =
      typeof key === 'string' ? (kind === 'private' ? createPrivateKey(key) : createPublicKey(key)) : key;
  } catch (error) {
    throw new ConfigError(
      'checkpoint key',
      ['key'],
      [`not a ${kind} key in PEM: ${(error as Error).message}`],
    );
  }
  if (object.asymmetricKeyType !== 'ed25519' || (kind === 'private' && object.type !== 'private')) {
    throw new ConfigError('checkpoint key', ['key'], [`must be an Ed25519 ${kind} key`]);
  }
  return object;
}

/**
 * Signs the log's current size and root.
 * @throws ConfigError for a key that is not an Ed25519 private key (a KeyObject or PEM)
 */
export function signCheckpoint(
  log: { readonly size: number; root(): string },
  privateKey: KeyObject | string,
  options: { readonly scheduler?: SchedulerLike } = {},
): Checkpoint {
  const key = ed25519Key(privateKey, 'private');
  const { size } = log;
  const root = log.root();
  const timestamp = (options.scheduler ?? asyncScheduler).now();
  const signature = sign(null, signedBytes(size, root, timestamp), key).toString('base64');
  return { size, root, timestamp, signature };
}

/**
 * Whether `checkpoint` is well formed and signed by the holder of `publicKey`'s private key. Never
 * throws for a bad checkpoint (only for a key that is not an Ed25519 public key).
 */
export function verifyCheckpoint(checkpoint: unknown, publicKey: KeyObject | string): boolean {
  const key = ed25519Key(publicKey, 'public');
  try {
    const { size, root, timestamp, signature } = checkpoint as Partial<Checkpoint>;
    if (!Number.isSafeInteger(size) || (size as number) < 0 || !digestFromHex(root)) return false;
    if (!Number.isFinite(timestamp) || typeof signature !== 'string') return false;
    return verify(null, signedBytes(size!, root!, timestamp!), key, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** RFC 9162 §2.1.4.2, on numbers up to 2^53 (so halving, not bit shifts). */
export function verifyConsistency(proof: unknown): boolean {
  try {
    const { oldSize: m, newSize: n, oldRoot, newRoot, hashes } = proof as Partial<ConsistencyProof>;
    const first = digestFromHex(oldRoot);
    const second = digestFromHex(newRoot);
    if (!Number.isSafeInteger(m) || !Number.isSafeInteger(n) || !Array.isArray(hashes) || !first || !second)
      return false;
    if (m! < 1 || m! > n! || hashes.length > 2 * 53) return false;
    const decoded = hashes.map(digestFromHex);
    if (decoded.some((h) => h === undefined)) return false;
    const path = decoded as Uint8Array[];
    if (m === n) return path.length === 0 && toHex(first) === toHex(second);
    const odd = (x: number): boolean => x % 2 === 1;
    const half = (x: number): number => Math.floor(x / 2);
    // An old tree that is a complete subtree is itself the first node of the path.
    const nodes = isPowerOfTwo(m!) ? [first, ...path] : path;
    if (nodes.length === 0) return false;
    let fn = m! - 1;
    let sn = n! - 1;
    while (odd(fn)) {
      fn = half(fn);
      sn = half(sn);
    }
    let fr = nodes[0]!;
    let sr = nodes[0]!;
    for (const c of nodes.slice(1)) {
      if (sn === 0) return false;
      if (odd(fn) || fn === sn) {
        fr = nodeHash(c, fr);
        sr = nodeHash(c, sr);
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      } else {
        sr = nodeHash(sr, c);
      }
      fn = half(fn);
      sn = half(sn);
    }
    return sn === 0 && toHex(fr) === toHex(first) && toHex(sr) === toHex(second);
  } catch {
    return false;
  }
}

const isPowerOfTwo = (x: number): boolean => x > 0 && 2 ** Math.round(Math.log2(x)) === x;
