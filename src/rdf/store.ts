import { DataFactory, type Quad, type Quad_Subject, Store, type Term } from 'n3';
import { filter, Observable, type OperatorFunction, type SchedulerLike, Subject, tap } from 'rxjs';
import { z } from 'zod';
import { longDelays, parseConfig, schedulerSchema, valueKind } from '../../operators/internal/index.js';
import { ConfigError } from '../errors.js';
import type { RdfChange } from './rdf-change.js';

/** An n3 Store whose writes are also a change feed. */
export interface ObservedStore {
  readonly store: Store;
  /** Every effective write (an add of a quad already there, or a delete of one absent, is not a change). */
  readonly changes: Observable<RdfChange>;
  add(quad: Quad): boolean;
  delete(quad: Quad): boolean;
}

type QuadArguments = [Quad] | [Quad['subject'], Quad['predicate'], Quad['object'], Quad['graph']?];

function quadOf(args: QuadArguments): Quad {
  const [subject, predicate, object, graph] = args;
  return predicate === undefined
    ? (subject as Quad)
    : DataFactory.quad(subject as Quad_Subject, predicate, object!, graph ?? DataFactory.defaultGraph());
}

/**
 * Makes every effective write to `store` a change (hot), whichever n3 method made it: n3 funnels
 * `add`, `addQuads`, `import`, `delete`, `removeQuads`, `remove`, `removeMatches` and `deleteGraph`
 * through the instance's `addQuad` / `removeQuad`, so those two are wrapped on the instance — the
 * store stays an n3 `Store` that other code writes to as usual.
 */
export function observeStore(store: Store = new Store()): ObservedStore {
  if (!isStore(store)) throw notAStore('observeStore', store);
  const subject = new Subject<RdfChange>();
  const addQuad = store.addQuad.bind(store) as (...args: QuadArguments) => boolean;
  const removeQuad = store.removeQuad.bind(store) as (...args: QuadArguments) => boolean;
  const observed = (op: RdfChange['op'], write: (...args: QuadArguments) => boolean) =>
    function (...args: QuadArguments): boolean {
      const changed = write(...args);
      if (changed) subject.next({ op, quad: quadOf(args) });
      return changed;
    };
  Object.assign(store, { addQuad: observed('add', addQuad), removeQuad: observed('delete', removeQuad) });
  return {
    store,
    changes: subject.asObservable(),
    add: (quad) => store.addQuad(quad),
    delete: (quad) => store.removeQuad(quad),
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
  // An observed store is written through its n3 Store, whose writes it observes.
  const target: unknown = isStore(store) ? store : (store as ObservedStore | undefined)?.store;
  if (!isStore(target)) throw notAStore('applyChanges', store);
  return tap((c) => void (c.op === 'add' ? target.addQuad(c.quad) : target.removeQuad(c.quad)));
}

/** A term (an RDF/JS object with a value) or a term's value. */
const termOrValue = z.union([z.string(), z.looseObject({ termType: z.string(), value: z.string() })]);
const quadPatternSchema = z.strictObject({
  op: z.enum(['add', 'delete']).optional(),
  subject: termOrValue.optional(),
  predicate: termOrValue.optional(),
  object: termOrValue.optional(),
  graph: termOrValue.optional(),
});

/**
 * An n3 Store by what it does, not by `instanceof`: an application's own copy of n3 (another
 * version, a second install) makes stores this package's `Store` class never made.
 */
function isStore(value: unknown): value is Store {
  const store = value as Partial<Store> | null | undefined;
  return typeof store?.addQuad === 'function' && typeof store.removeQuad === 'function';
}

/** @returns the ConfigError for a store argument that is not an n3 Store (or `observeStore`'s). */
function notAStore(where: string, store: unknown): ConfigError {
  return new ConfigError(
    `${where} store`,
    ['store'],
    [`store: must be an n3 Store, got ${valueKind(store)}`],
  );
}

export interface QuadPattern {
  readonly op?: 'add' | 'delete';
  readonly subject?: Term | string;
  readonly predicate?: Term | string;
  readonly object?: Term | string;
  readonly graph?: Term | string;
}

/**
 * Keeps the changes matching `pattern`; a string matches a term's value.
 *
 * ```text
 * changes: -a-d-b-|     pattern { op: 'add', subject: 'urn:a' }: a = add of urn:a, d = its delete
 * result:  -a-----|
 * ```
 *
 * @throws ConfigError for a pattern that is not one (an unknown key, a term that is none)
 */
export function changesMatching(pattern: QuadPattern): OperatorFunction<RdfChange, RdfChange> {
  parseConfig('changesMatching pattern', quadPatternSchema, pattern);
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

const bySubjectSchema = z.strictObject({
  windowMs: z.number().finite().nonnegative(),
  scheduler: schedulerSchema.optional(),
});

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
  const { windowMs } = parseConfig('bySubject options', bySubjectSchema, options);
  const scheduler = longDelays(options.scheduler);
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
          // A value that is no change (from plain JS, say) errors the stream, naming it: read
          // blindly, it would throw inside this observer, where nothing can catch it.
          const subject = (change as Partial<RdfChange> | null)?.quad?.subject;
          if (subject === undefined) {
            return subscriber.error(
              new TypeError(`bySubject: expected RdfChange values ({ op, quad }), got ${valueKind(change)}`),
            );
          }
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
