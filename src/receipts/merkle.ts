import { blake3, digestFromHex, nodeHash, toHex } from './blake3.js';

/** A sibling on the way from a leaf to the root: it sits to the `side` of the running hash. */
export interface ProofStep {
  readonly hash: string;
  readonly side: 'left' | 'right';
}

/** An inclusion proof for leaf `index` in a tree of `size` leaves; every digest lowercase hex. */
export interface MerkleProof {
  readonly leaf: string;
  readonly index: number;
  readonly size: number;
  readonly siblings: readonly ProofStep[];
  readonly root: string;
}

const EMPTY_ROOT = blake3(new Uint8Array(0));

/** The largest power of two strictly below n (n ≥ 2). */
export function splitPoint(n: number): number {
  // Math.log2 rounds near powers of two (log2(2^49 - 1) is 49): correct the estimate exactly.
  let k = 2 ** Math.floor(Math.log2(n - 1));
  while (k >= n) k /= 2;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Past 2^53 sizes and indexes are not exact; a proof of a bigger tree is not one of ours. */
const MAX_LEVELS = 53;

/**
 * An append-only Merkle tree whose levels pair nodes left to right and promote an odd last node
 * unchanged (no duplication) — the same tree as RFC 6962's split at the largest power of two. Every
 * complete, aligned subtree is hashed once, when its last leaf arrives, and kept: `append` is
 * amortised one node hash, `root` is O(log n), `proof` O(log² n).
 */
export class MerkleTree {
  /** levels[h]: the hashes of the complete subtrees of 2^h leaves, 32 bytes each, back to back. */
  private readonly levels: DigestList[] = [new DigestList()];

  get size(): number {
    return this.levels[0]!.length;
  }

  append(leaf: Uint8Array): void {
    let hash = leaf;
    for (let h = 0; ; h++) {
      const level = (this.levels[h] ??= new DigestList());
      level.push(hash);
      if (level.length % 2 === 1) return;
      hash = nodeHash(level.get(level.length - 2), hash);
    }
  }

  root(): Uint8Array {
    return this.size === 0 ? EMPTY_ROOT : this.subtree(0, this.size);
  }

  /** The inclusion proof of leaf `index`, siblings from the leaf upward. */
  proof(index: number): MerkleProof {
    const siblings: ProofStep[] = [];
    const walk = (start: number, size: number, target: number): void => {
      if (size === 1) return;
      const k = splitPoint(size);
      if (target < start + k) {
        walk(start, k, target);
        siblings.push({ hash: toHex(this.subtree(start + k, size - k)), side: 'right' });
      } else {
        walk(start + k, size - k, target);
        siblings.push({ hash: toHex(this.subtree(start, k)), side: 'left' });
      }
    };
    walk(0, this.size, index);
    return {
      leaf: toHex(this.levels[0]!.get(index)),
      index,
      size: this.size,
      siblings,
      root: toHex(this.root()),
    };
  }

  /** The root the tree had when it held its first `size` leaves (1 ≤ size ≤ the size now). */
  rootAt(size: number): Uint8Array {
    return this.subtree(0, size);
  }

  /**
   * The consistency proof (RFC 6962 §2.1.2) that the tree of the first `oldSize` leaves is a prefix of
   * the tree now: the fewest subtree hashes from which both roots can be rebuilt.
   */
  consistency(oldSize: number): Uint8Array[] {
    const hashes: Uint8Array[] = [];
    // SUBPROOF(m, D[start : start + n], b) of the RFC, iteratively from the top.
    const walk = (m: number, start: number, n: number, whole: boolean): void => {
      if (m === n) {
        if (!whole) hashes.push(this.subtree(start, n));
        return;
      }
      const k = splitPoint(n);
      if (m <= k) {
        walk(m, start, k, whole);
        hashes.push(this.subtree(start + k, n - k));
      } else {
        walk(m - k, start + k, n - k, false);
        hashes.push(this.subtree(start, k));
      }
    };
    if (oldSize < this.size) walk(oldSize, 0, this.size, true);
    return hashes;
  }

  /** The hash of leaves [start, start + size). */
  private subtree(start: number, size: number): Uint8Array {
    if ((size & (size - 1)) === 0 && start % size === 0) {
      const level = this.levels[Math.log2(size)];
      if (level && start / size < level.length) return level.get(start / size);
    }
    const k = splitPoint(size);
    return nodeHash(this.subtree(start, k), this.subtree(start + k, size - k));
  }
}

/**
 * 32-byte digests packed in one growing buffer: a tree of a million leaves keeps two million
 * digests, and as separate Uint8Arrays each would carry ~3× its size in object overhead for the GC.
 */
class DigestList {
  private bytes = new Uint8Array(32 * 64);
  length = 0;

  push(digest: Uint8Array): void {
    if ((this.length + 1) * 32 > this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes.set(digest, this.length * 32);
    this.length++;
  }

  get(index: number): Uint8Array {
    return this.bytes.subarray(index * 32, index * 32 + 32);
  }
}

/** The sides a proof for leaf `index` of `size` must take, from the leaf upward. */
function expectedSides(index: number, size: number): ('left' | 'right')[] {
  const sides: ('left' | 'right')[] = [];
  let start = 0;
  const path: ('left' | 'right')[] = [];
  while (size > 1) {
    const k = splitPoint(size);
    if (index < start + k) {
      path.push('right');
      size = k;
    } else {
      path.push('left');
      start += k;
      size -= k;
    }
  }
  for (let i = path.length - 1; i >= 0; i--) sides.push(path[i]!);
  return sides;
}

/**
 * Whether `proof` shows its leaf at its index in a tree of its size with its root. Never throws: any
 * malformed input (wrong types, bad hex, sides that do not fit the index) is simply `false`.
 */
export function verifyProof(proof: unknown): boolean {
  try {
    if (typeof proof !== 'object' || proof === null) return false;
    const { leaf, index, size, siblings, root } = proof as Record<string, unknown>;
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || !Array.isArray(siblings)) return false;
    if ((index as number) < 0 || (size as number) < 1 || (index as number) >= (size as number)) return false;
    if (siblings.length > MAX_LEVELS) return false;
    const sides = expectedSides(index as number, size as number);
    if (sides.length !== siblings.length) return false;
    let hash = digestFromHex(leaf);
    const expectedRoot = digestFromHex(root);
    if (!hash || !expectedRoot) return false;
    for (let i = 0; i < sides.length; i++) {
      const step = siblings[i] as { hash?: unknown; side?: unknown } | null;
      const sibling = digestFromHex(step?.hash);
      if (!sibling || step?.side !== sides[i]) return false;
      hash = sides[i] === 'left' ? nodeHash(sibling, hash) : nodeHash(hash, sibling);
    }
    return toHex(hash) === toHex(expectedRoot);
  } catch {
    return false;
  }
}
