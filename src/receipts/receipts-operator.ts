import { map, type OperatorFunction } from 'rxjs';
import type { JsonValue } from './canonical-json.js';
import type { Receipt, ReceiptLog } from './receipt-log.js';

/**
 * Appends each value (or what `toRecord` makes of it) to `log` and emits its receipt.
 *
 * ```text
 * values:   -a--b-|
 * receipts: -r--s-|            r = { seq: 0, … }, s = { seq: 1, prevHash: r.hash, … }
 * ```
 */
export function receipts<T, J extends JsonValue = JsonValue>(
  log: ReceiptLog,
  toRecord: (value: T) => J = (value) => value as unknown as J,
): OperatorFunction<T, Receipt<J>> {
  return map((value) => log.append(toRecord(value)));
}
