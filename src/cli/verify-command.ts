import { readFileSync } from 'node:fs';
import { type Checkpoint, verifyCheckpoint } from '../receipts/checkpoint.js';
import { createReceiptLog, importReceipts, verifyReceipts } from '../receipts/receipt-log.js';
import type { Flags } from './args.js';
import { positiveInteger } from './args.js';
import { assertFile } from './load-module.js';
import { UsageError } from './usage-error.js';

/** The size and root a log must have had: from a signed checkpoint, or given on the command line. */
interface Anchor {
  readonly size: number;
  readonly root: string;
  readonly from: string;
}

function readText(path: string, what: string): string {
  assertFile(path, what);
  return readFileSync(path, 'utf8');
}

/** The anchor the flags give, its signature checked; undefined without one. */
function anchorOf(flags: Flags): Anchor | undefined {
  if (flags.checkpoint !== undefined) {
    if (flags['public-key'] === undefined) throw new UsageError('--checkpoint needs --public-key KEY.pem');
    let checkpoint: Checkpoint;
    try {
      checkpoint = JSON.parse(readText(flags.checkpoint, 'checkpoint file')) as Checkpoint;
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`--checkpoint ${flags.checkpoint} is not JSON`);
    }
    let signed: boolean;
    try {
      signed = verifyCheckpoint(checkpoint, readText(flags['public-key'], 'public key file'));
    } catch (error) {
      if (error instanceof UsageError) throw error;
      throw new UsageError(`--public-key: ${(error as Error).message}`);
    }
    if (!signed) return { size: -1, root: '', from: 'the checkpoint' };
    const at = new Date(checkpoint.timestamp).toISOString();
    return { size: checkpoint.size, root: checkpoint.root, from: `the checkpoint signed ${at}` };
  }
  if (flags.root === undefined && flags.size === undefined) return undefined;
  if (flags.root === undefined || flags.size === undefined)
    throw new UsageError('--root and --size go together');
  if (!/^[0-9a-f]{64}$/.test(flags.root)) throw new UsageError('--root must be 64 lowercase hex digits');
  return { size: positiveInteger('size', flags.size, undefined)!, root: flags.root, from: '--root/--size' };
}

/**
 * `rxdaemon verify <receipts.jsonl> [--checkpoint FILE --public-key KEY | --root HEX --size N]`:
 * the chain, every hash, and — given an anchor — that the log still has the anchored root at the
 * anchored size (a log cut short or rewritten and re-hashed does not). 0 valid, 1 invalid.
 */
export function verifyCommand(path: string | undefined, flags: Flags): number {
  if (path === undefined) throw new UsageError('verify needs a receipts file');
  const text = readText(path, 'receipts file');
  const anchor = anchorOf(flags);
  const result = verifyReceipts(text);
  if (!result.valid) {
    console.log(`invalid: receipt ${result.seq} (line ${result.line}): ${result.reason}`);
    return 1;
  }
  if (anchor === undefined) {
    console.log(`valid: ${result.count} receipts, Merkle root ${result.root}`);
    return 0;
  }
  if (anchor.size < 0) {
    console.log('invalid: the checkpoint is not signed by the key given (forged or altered)');
    return 1;
  }
  if (result.count < anchor.size) {
    console.log(
      `invalid: ${result.count} receipts, fewer than the ${anchor.size} of ${anchor.from} (truncated)`,
    );
    return 1;
  }
  const root = anchor.size === 0 ? createReceiptLog().root() : importReceipts(text).rootAt(anchor.size);
  if (root !== anchor.root) {
    console.log(`invalid: the first ${anchor.size} receipts' root is not that of ${anchor.from} (rewritten)`);
    return 1;
  }
  console.log(
    `valid: ${result.count} receipts, Merkle root ${result.root}; the first ${anchor.size} match ${anchor.from}`,
  );
  return 0;
}
