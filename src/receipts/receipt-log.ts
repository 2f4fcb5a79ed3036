import { z } from 'zod';
import { describeError, EngineError } from '../errors.js';
import { leafHash, toHex } from './blake3.js';
import { canonicalJson, type JsonValue } from './canonical-json.js';
import type { ConsistencyProof } from './checkpoint.js';
import { type MerkleProof, MerkleTree } from './merkle.js';
import { valueKind } from '../../operators/internal/index.js';

/** One entry of the log: `hash` = BLAKE3(0x00 ‖ canonical JSON of { seq, prevHash, record }). */
export interface Receipt<T extends JsonValue = JsonValue> {
  readonly seq: number;
  readonly hash: string;
  /** The previous receipt's hash; 64 zeros for the first. */
  readonly prevHash: string;
  readonly record: T;
}

/** An append-only log of receipts: a hash chain whose links are also the leaves of a Merkle tree. */
export interface ReceiptLog {
  readonly size: number;
  append<T extends JsonValue>(record: T): Receipt<T>;
  /** The Merkle root over every receipt so far (BLAKE3 of nothing when empty), lowercase hex. */
  root(): string;
  /** The inclusion proof of receipt `seq` against the current root. */
  proof(seq: number): MerkleProof;
  /** The root the log had when it held `size` receipts (1 ≤ size ≤ its size now). */
  rootAt(size: number): string;
  /** The proof (RFC 6962 §2.1.2) that the log of `oldSize` receipts only grew into the log now. */
  consistency(oldSize: number): ConsistencyProof;
  /** Every receipt, in order. */
  entries(): readonly Receipt[];
  /** The log as JSON lines, one canonical receipt per line. */
  export(): string;
}

/** A receipt that failed verification: `seq` is its position in the input, from 0. */
export class ReceiptVerificationError extends EngineError {
  override readonly code = 'RECEIPT_INVALID' as const;

  constructor(
    readonly seq: number,
    readonly reason: string,
  ) {
    super(`Receipt ${seq} is invalid: ${reason}`);
  }
}

export const GENESIS_HASH = '0'.repeat(64);

/** Anything with `append(record)`: a receipt log given to the daemon or the MI engine. */
export const receiptLogSchema = z.custom<ReceiptLog>(
  (value) => typeof (value as { append?: unknown } | null)?.append === 'function',
  { message: 'must be a receipt log (createReceiptLog())' },
);

/** An error as a receipt can hold it: its name, code and message, never its stack. */
export function errorRecord(error: unknown): JsonValue {
  if (error === undefined) return null;
  if (error instanceof Error) {
    const { name, code } = error as { name: unknown; code?: unknown };
    return {
      name: typeof name === 'string' ? name : 'Error',
      message: describeError(error),
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { message: describeError(error) };
}

class MemoryReceiptLog implements ReceiptLog {
  private readonly log: Receipt[] = [];
  private readonly tree = new MerkleTree();

  get size(): number {
    return this.log.length;
  }

  append<T extends JsonValue>(record: T): Receipt<T> {
    const seq = this.log.length;
    const prevHash = seq === 0 ? GENESIS_HASH : this.log[seq - 1]!.hash;
    // Canonical JSON of { seq, prevHash, record }, its three keys already in sorted order.
    const leaf = leafHash(
      `{"prevHash":"${prevHash}","record":${canonicalJson(record, 'record')},"seq":${seq}}`,
    );
    const receipt: Receipt<T> = { seq, hash: toHex(leaf), prevHash, record };
    this.tree.append(leaf);
    this.log.push(receipt);
    return receipt;
  }

  root(): string {
    return toHex(this.tree.root());
  }

  proof(seq: number): MerkleProof {
    if (!Number.isSafeInteger(seq) || seq < 0 || seq >= this.log.length) {
      throw new RangeError(`No receipt ${seq}: the log holds ${this.log.length}`);
    }
    return this.tree.proof(seq);
  }

  rootAt(size: number): string {
    this.checkSize(size);
    return toHex(this.tree.rootAt(size));
  }

  consistency(oldSize: number): ConsistencyProof {
    this.checkSize(oldSize);
    return {
      oldSize,
      newSize: this.log.length,
      oldRoot: this.rootAt(oldSize),
      newRoot: this.root(),
      hashes: this.tree.consistency(oldSize).map(toHex),
    };
  }

  private checkSize(size: number): void {
    if (!Number.isSafeInteger(size) || size < 1 || size > this.log.length) {
      throw new RangeError(`No tree of ${size} receipts: the log holds ${this.log.length}`);
    }
  }

  entries(): readonly Receipt[] {
    return this.log;
  }

  export(): string {
    return this.log.map((receipt) => canonicalJson(receipt)).join('\n') + (this.log.length > 0 ? '\n' : '');
  }
}

/** A new, empty receipt log. */
export function createReceiptLog(): ReceiptLog {
  return new MemoryReceiptLog();
}

export type VerifyResult =
  | { readonly valid: true; readonly count: number; readonly root: string }
  | { readonly valid: false; readonly seq: number; readonly line: number; readonly reason: string };

/**
 * Checks exported receipts line by line — JSON, sequence, chain link and hash — and names the first
 * bad one. Never throws. Blank lines are ignored; `line` is 1-based in the input.
 */
export function verifyReceipts(lines: string | Iterable<string>): VerifyResult {
  const rows = linesOf(lines);
  if (rows === undefined) {
    return {
      valid: false,
      seq: 0,
      line: 0,
      reason: 'not receipts: a string or an iterable of lines was expected',
    };
  }
  const log = new MemoryReceiptLog();
  let lineNumber = 0;
  for (const row of rows) {
    lineNumber++;
    const seq = log.size;
    const fail = (reason: string): VerifyResult => ({ valid: false, seq, line: lineNumber, reason });
    if (typeof row !== 'string') return fail(`not a line of text but ${valueKind(row)}`);
    if (row.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(row);
    } catch {
      return fail('not JSON');
    }
    if (typeof parsed !== 'object' || parsed === null) return fail('not a receipt object');
    const receipt = parsed as Partial<Receipt>;
    if (receipt.seq !== seq)
      return fail(`seq ${String(receipt.seq)} where ${seq} was expected (a receipt removed or reordered)`);
    const expectedPrev = seq === 0 ? GENESIS_HASH : log.entries()[seq - 1]!.hash;
    if (receipt.prevHash !== expectedPrev) return fail('prevHash does not link to the previous receipt');
    if (!('record' in receipt)) return fail('no record');
    let rebuilt: Receipt;
    try {
      rebuilt = log.append(receipt.record as JsonValue);
    } catch (error) {
      return fail(`record cannot be encoded: ${(error as Error).message}`);
    }
    if (rebuilt.hash !== receipt.hash) return fail('hash does not match its content');
    // Whatever the hash does not cover must not ride along: an extra field (`approvedBy`), a
    // duplicate key (JSON.parse keeps the last), any other spelling of the same receipt.
    if (row.trim() !== canonicalJson(rebuilt)) {
      return fail(
        'the row carries what its hash does not cover (an extra field, a duplicate key, or not canonical JSON)',
      );
    }
  }
  return { valid: true, count: log.size, root: log.root() };
}

/**
 * A log rebuilt from exported JSON lines, after verifying them.
 * @throws ReceiptVerificationError naming the first bad receipt
 */
export function importReceipts(lines: string | Iterable<string>): ReceiptLog {
  const rows = linesOf(lines); // once: an iterator is not read twice
  const result = verifyReceipts((rows ?? lines) as Iterable<string>);
  if (!result.valid) throw new ReceiptVerificationError(result.seq, `${result.reason} (line ${result.line})`);
  const log = new MemoryReceiptLog();
  for (const row of rows as string[]) if (row.trim() !== '') log.append((JSON.parse(row) as Receipt).record);
  return log;
}

/** The lines of `lines` (a string, or an iterable of them), or undefined when it is neither. */
function linesOf(lines: unknown): unknown[] | undefined {
  try {
    return typeof lines === 'string' ? lines.split('\n') : [...(lines as Iterable<unknown>)];
  } catch {
    return undefined;
  }
}
