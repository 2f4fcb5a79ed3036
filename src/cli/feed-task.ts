import { filter, type Observable } from 'rxjs';
import { anyOf, threshold, toleratedFailures } from '../../operators/index.js';
import type { MIEvent } from '../instances/mi-event.js';
import { multipleInstance } from '../instances/multiple-instance.js';
import type { InstanceContext } from '../instances/spec.js';
import type { ReceiptLog } from '../receipts/receipt-log.js';
import type { RdfChange } from '../rdf/rdf-change.js';
import { bySubject, type SubjectChanges } from '../rdf/store.js';

/** Enriches one subject's changes; the demo's default simulates a remote lookup. */
export type SubjectHandler = (group: SubjectChanges, context: InstanceContext) => Promise<unknown>;

export interface FeedTaskOptions {
  readonly concurrency: number;
  /** Done after this many subjects enriched (the rest cancelled); all of them when undefined. */
  readonly threshold: number | undefined;
  readonly handler: SubjectHandler;
  readonly receipts: ReceiptLog;
  /** Only subjects whose IRI starts with this are enriched (default: every subject). */
  readonly subjectPrefix?: string;
}

/**
 * The demo's pipeline and `rxdaemon feed`'s: changes grouped by subject, each group an instance of
 * one MI task with retries, a threshold (or all-settled) rule and a failure tolerance.
 */
export function enrichSubjects(
  changes: Observable<RdfChange>,
  options: FeedTaskOptions,
): Observable<MIEvent<SubjectChanges, unknown>> {
  const { concurrency, handler, receipts, subjectPrefix } = options;
  return changes.pipe(
    filter((c) => subjectPrefix === undefined || c.quad.subject.value.startsWith(subjectPrefix)),
    bySubject({ windowMs: 50 }),
    multipleInstance<SubjectChanges, unknown>({
      taskId: 'enrich-subjects',
      caseId: 'feed',
      run: handler,
      concurrency,
      retry: { maxAttempts: 3, initialDelayMs: 2, multiplier: 2, jitter: 'full' },
      instanceTimeoutMs: 2_000,
      completion:
        options.threshold === undefined
          ? toleratedFailures({ percentage: 10, minSample: 100 })
          : anyOf(threshold(options.threshold), toleratedFailures({ percentage: 10, minSample: 100 })),
      keep: 'all',
      receipts,
    }),
  );
}

/** A stand-in for a remote enrichment call: 1–6 ms, and about 1 attempt in 12 fails (and is retried). */
export function simulatedLookup(random: () => number = Math.random): SubjectHandler {
  return (group, { signal }) =>
    new Promise((resolve, reject) => {
      const ms = 1 + Math.floor(random() * 6);
      const fails = random() < 1 / 12;
      const timer = setTimeout(
        () => (fails ? reject(new Error('lookup service busy')) : resolve(group.changes.length)),
        ms,
      );
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      });
    });
}
