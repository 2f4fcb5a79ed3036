import { filter, from, mergeMap, type Observable, reduce, type SchedulerLike, timer, map } from 'rxjs';
import { anyOf, type TaskOutput, threshold, toleratedFailures } from '../../operators/index.js';
import type { MIEvent } from '../instances/mi-event.js';
import { multipleInstance } from '../instances/multiple-instance.js';
import type { InstanceContext } from '../instances/spec.js';
import type { ReceiptLog } from '../receipts/receipt-log.js';
import type { RdfChange } from '../rdf/rdf-change.js';
import { bySubject, type SubjectChanges } from '../rdf/store.js';

/** Enriches one subject's changes; the demo's default simulates a remote lookup. */
export type SubjectHandler = (group: SubjectChanges, context: InstanceContext) => TaskOutput<unknown>;

export interface FeedTaskOptions {
  readonly concurrency: number;
  /** Done after this many subjects enriched (the rest cancelled); all of them when undefined. */
  readonly threshold: number | undefined;
  readonly handler: SubjectHandler;
  readonly receipts: ReceiptLog;
  /** Only subjects whose IRI starts with this are enriched (default: every subject). */
  readonly subjectPrefix?: string;
  /**
   * `subject`: one instance per subject of the whole feed (a file: the threshold counts subjects);
   * `window`: one per subject seen within 50 ms (an endless stream, such as stdin).
   */
  readonly grouping: 'subject' | 'window';
  readonly scheduler?: SchedulerLike;
  /** Uniform [0, 1) numbers for retry jitter (default Math.random). */
  readonly random?: () => number;
}

/** Every change of a finite feed, grouped by subject, in order of each subject's first change. */
function bySubjectOfWholeFeed() {
  return (changes: Observable<RdfChange>): Observable<SubjectChanges> =>
    changes.pipe(
      reduce((groups, change) => {
        const key = `${change.quad.subject.termType}:${change.quad.subject.value}`;
        const group = groups.get(key);
        if (group) group.changes.push(change);
        else groups.set(key, { subject: change.quad.subject, changes: [change] });
        return groups;
      }, new Map<string, { subject: SubjectChanges['subject']; changes: RdfChange[] }>()),
      mergeMap((groups) => from(groups.values())),
    );
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
    options.grouping === 'subject' ? bySubjectOfWholeFeed() : bySubject({ windowMs: 50 }),
    multipleInstance<SubjectChanges, unknown>({
      ...(options.scheduler ? { scheduler: options.scheduler } : {}),
      ...(options.random ? { random: options.random } : {}),
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

/**
 * A stand-in for a remote enrichment call: 1–6 ms, and about 1 attempt in 12 fails (and is retried).
 * With a `seed`, each attempt's duration and outcome come from the seed, the subject and the attempt
 * alone — not from the order instances happen to run in — and time from `scheduler`, so a run on a
 * virtual scheduler is the same run on any machine.
 */
export function simulatedLookup(seed?: number, scheduler?: SchedulerLike): SubjectHandler {
  return (group, { attempt }) => {
    const random = seed === undefined ? Math.random : seeded(`${seed}|${group.subject.value}|${attempt}`);
    const ms = 1 + Math.floor(random() * 6);
    const fails = random() < 1 / 12;
    return timer(ms, scheduler).pipe(
      map(() => {
        if (fails) throw new Error('lookup service busy');
        return group.changes.length;
      }),
    );
  };
}

/** A small deterministic generator (FNV-1a of the key, then mulberry32): uniform enough for a demo. */
export function seeded(key: string): () => number {
  let state = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) state = Math.imul(state ^ key.charCodeAt(i), 0x01000193);
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
