import type { ReceiptLog } from '../receipts/receipt-log.js';
import { errorRecord } from '../receipts/receipt-log.js';
import type { DaemonEvent, OperationEndedEvent } from './types.js';

/**
 * A consumer of the daemon's events that appends one receipt per finished run (any status). A log
 * whose `append` throws cannot change a run's outcome: the failure goes to `failed`, once per run.
 */
export function receiptsOfRuns(
  log: ReceiptLog,
  failed: (error: unknown, event: OperationEndedEvent) => void,
): (event: DaemonEvent) => void {
  return (event) => {
    if (!isRunEnd(event)) return;
    const { result } = event;
    try {
      log.append({
        kind: 'operation-run',
        daemonId: event.daemonId,
        operationId: result.id,
        runId: result.runId,
        status: result.status,
        attempts: result.attempts,
        enqueuedAt: result.enqueuedAt,
        startedAt: result.startedAt ?? null,
        endedAt: result.endedAt,
        error: errorRecord(result.error),
      });
    } catch (error) {
      failed(error, event);
    }
  };
}

function isRunEnd(event: DaemonEvent): event is OperationEndedEvent {
  return 'result' in event;
}
