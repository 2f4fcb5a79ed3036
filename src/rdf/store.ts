import { type Quad, type Quad_Subject, Store, type Term } from 'n3';
import {
  asyncScheduler,
  filter,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  Subject,
  tap,
} from 'rxjs';
import type { RdfChange } from './rdf-change.js';

/** An n3 Store whose writes are also a change feed. */
export interface ObservedStore {
  readonly store: Store;
  /** Every effective write (an add of a quad already there, or a delete of one absent, is not a change). */
  readonly changes: Observable<RdfChange>;
  add(quad: Quad): boolean;
  delete(quad: Quad): boolean;
}

/** Wraps an n3 Store so that writes through `add`/`delete` are emitted as changes (hot). */
export function observeStore(store: Store = new Store()): ObservedStore {
  const subject = new Subject<RdfChange>();
  return {
    store,
    changes: subject.asObservable(),
    add(quad) {
      if (store.has(quad)) return false;
      store.addQuad(quad);
      subject.next({ op: 'add', quad });
      return true;
    },
    delete(quad) {
      if (!store.has(quad)) return false;
      store.removeQuad(quad);
      subject.next({ op: 'delete', quad });
      return true;
    },
  };
}

/**
 * Applies each change to `store` as it passes.
 *
 * ```text
 * changes: -a-d-|     a added to the store, then d removed from it
 * result:  -a-d-|
 * ```
 */
export function applyChanges(store: Store | ObservedStore): OperatorFunction<RdfChange, RdfChange> {
  const apply =
    store instanceof Store
      ? (c: RdfChange) => (c.op === 'add' ? store.addQuad(c.quad) : store.removeQuad(c.quad))
      : (c: RdfChange) => (c.op === 'add' ? store.add(c.quad) : store.delete(c.quad));
  return tap((change) => void apply(change));
}

export interface QuadPattern {
  readonly op?: 'add' | 'delete';
  readonly subject?: Term | string;
  readonly predicate?: Term | string;
  readonly object?: Term | string;
  readonly graph?: Term | string;
}

/** Keeps the changes matching `pattern`; a string matches a term's value. */
export function changesMatching(pattern: QuadPattern): OperatorFunction<RdfChange, RdfChange> {
  const same = (wanted: Term | string | undefined, actual: Term): boolean =>
    wanted === undefined || (typeof wanted === 'string' ? actual.value === wanted : actual.equals(wanted));
  return filter(
    ({ op, quad }) =>
      (pattern.op === undefined || pattern.op === op) &&
      same(pattern.subject, quad.subject) &&
      same(pattern.predicate, quad.predicate) &&
      same(pattern.object, quad.object) &&
      same(pattern.graph, quad.graph),
  );
}

/** All changes to one subject within a window. */
export interface SubjectChanges {
  readonly subject: Quad_Subject;
  readonly changes: readonly RdfChange[];
}

/**
 * Groups changes by subject: a group opens at a subject's first change and is emitted `windowMs`
 * later (scheduler time) with every change to that subject meanwhile; what is open is flushed when
 * the source completes.
 *
 * ```text
 * changes:  a1-b1-a2-----b2|        windowMs = 4
 * groups:   ----A---B-----(C|)      A = a [a1, a2], B = b [b1], C = b [b2]
 * ```
 */
export function bySubject(options: {
  readonly windowMs: number;
  readonly scheduler?: SchedulerLike;
}): OperatorFunction<RdfChange, SubjectChanges> {
  const { windowMs, scheduler = asyncScheduler } = options;
  return (changes) =>
    new Observable<SubjectChanges>((subscriber) => {
      const open = new Map<
        string,
        { subject: Quad_Subject; changes: RdfChange[]; timer: { unsubscribe(): void } }
      >();
      const emit = (key: string): void => {
        const group = open.get(key)!;
        open.delete(key);
        subscriber.next({ subject: group.subject, changes: group.changes });
      };
      const subscription = changes.subscribe({
        next: (change) => {
          const subject = change.quad.subject;
          const key = `${subject.termType}:${subject.value}`;
          const group = open.get(key);
          if (group) group.changes.push(change);
          else
            open.set(key, {
              subject,
              changes: [change],
              timer: scheduler.schedule(() => emit(key), windowMs),
            });
        },
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          for (const [key, group] of [...open]) {
            group.timer.unsubscribe();
            emit(key);
          }
          subscriber.complete();
        },
      });
      return () => {
        subscription.unsubscribe();
        for (const group of open.values()) group.timer.unsubscribe();
      };
    });
}
