import { map, type OperatorFunction } from 'rxjs';
import { errorRecord, type ReceiptLog } from '../receipts/receipt-log.js';
import type { MIEvent } from './mi-event.js';

/**
 * A consumer of an MI task's events that appends one receipt per decision. A log whose `append`
 * throws cannot change the decision: the `decided` event carries the failure as `receiptError`.
 *
 * ```text
 * events:  -a-s-(D|)           D = decided
 * result:  -a-s-(D|)           D appended to the log (or D with receiptError)
 * ```
 */
export function recordDecisions<I, R>(log: ReceiptLog): OperatorFunction<MIEvent<I, R>, MIEvent<I, R>> {
  return map((event) => {
    if (event.type !== 'decided') return event;
    try {
      log.append({
        kind: 'mi-decision',
        taskId: event.taskId,
        caseId: event.caseId,
        status: event.status,
        reason: event.reason,
        counters: { ...event.counters },
        at: event.at,
        cause: errorRecord(event.cause),
      });
      return event;
    } catch (receiptError) {
      return { ...event, receiptError };
    }
  });
}
