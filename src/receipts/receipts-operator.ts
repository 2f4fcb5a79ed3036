import { map, type OperatorFunction } from 'rxjs';
import { z } from 'zod';
import { functionSchema, parseConfig } from '../../operators/internal/index.js';
import type { JsonValue } from './canonical-json.js';
import { type Receipt, type ReceiptLog, receiptLogSchema } from './receipt-log.js';

const argumentsSchema = z.strictObject({ log: receiptLogSchema, toRecord: functionSchema.optional() });

/**
 * Appends each value (or what `toRecord` makes of it) to `log` and emits its receipt.
 *
 * ```text
 * values:   -a--b-|
 * receipts: -r--s-|            r = { seq: 0, … }, s = { seq: 1, prevHash: r.hash, … }
 * ```
 *
 * A value JSON cannot carry errors the stream with a `NotSerializableError` naming its path.
 * @throws ConfigError for a `log` that is no receipt log, or a `toRecord` that is no function
 */
export function receipts<T, J extends JsonValue = JsonValue>(
  log: ReceiptLog,
  toRecord: (value: T) => J = (value) => value as unknown as J,
): OperatorFunction<T, Receipt<J>> {
  parseConfig('receipts', argumentsSchema, { log, toRecord });
  return map((value) => log.append(toRecord(value)));
}
