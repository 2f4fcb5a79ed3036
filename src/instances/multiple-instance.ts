import { isObservable, Observable, type OperatorFunction } from 'rxjs';
import { ConfigError } from '../errors.js';
import { asyncIteratorIntake, type ClosableIntake, iteratorIntake } from './intakes.js';
import { recordDecisions } from './decision-receipts.js';
import { withInstanceRecords } from './instance-records.js';
import type { MIEvent } from './mi-event.js';
import { MIRun } from './mi-run.js';
import { type MISpec, validateSpec } from './spec.js';

/** What a multiple-instance task can take its inputs from. */
export type MISource<I> = Iterable<I> | AsyncIterable<I> | Observable<I>;

/**
 * Runs a multiple-instance task over the inputs an Observable pushes: each input is
 * an instance, at most `concurrency` run at once, and the completion rule decides — after which the
 * remaining instances are cancelled (or detached) and `decided` is emitted.
 *
 * ```text
 * inputs:  (abc|)              threshold(2), concurrency 3
 * a:       --x|
 * b:       ----y|
 * c:       ------z|
 * events:  ---x-(yCD|)         x, y succeeded at 3 and 5; C cancelled (c), D decided {completed, threshold}
 * c subs:  ^----!
 * ```
 *
 * Inputs arriving while more than `maxBuffered` wait for a slot fail the task (`backpressure`);
 * inputs past `maxInstances` are `refused`.
 *
 * @throws ConfigError when the spec is invalid, before anything is subscribed
 */
export function multipleInstance<I, R>(spec: MISpec<I, R>): OperatorFunction<I, MIEvent<I, R>> {
  validateSpec(spec);
  return (source) =>
    withConsumers(
      spec,
      new Observable<MIEvent<I, R>>((subscriber) => {
        const run = new MIRun(spec, subscriber);
        run.connectControls();
        const inputs = source.subscribe({
          next: (input) => run.offer(input),
          error: (error: unknown) => run.fail(error),
          complete: () => run.inputDone(),
        });
        run.add(inputs);
        if (spec.creationMode === 'static' && !inputs.closed) {
          inputs.unsubscribe(); // static creation: the instances are those that arrived on subscription
          run.inputDone();
        }
        return () => run.dispose();
      }),
    );
}

/**
 * Runs a multiple-instance task over `source`: a number n (inputs 0..n-1), an Iterable or an
 * AsyncIterable (pulled one input per free slot: memory O(concurrency) however long the source), or
 * an Observable (as {@link multipleInstance}). A source of known length (a number, an array) longer
 * than `maxInstances` decides `failed` (`max-instances`) before anything starts.
 *
 * @throws ConfigError when the spec or the source is invalid, before anything is subscribed
 */
export function runMultipleInstance<R>(
  source: number,
  spec: MISpec<number, R>,
): Observable<MIEvent<number, R>>;
export function runMultipleInstance<I, R>(source: MISource<I>, spec: MISpec<I, R>): Observable<MIEvent<I, R>>;
export function runMultipleInstance<I, R>(
  source: number | MISource<I>,
  spec: MISpec<I, R>,
): Observable<MIEvent<I, R>> {
  validateSpec(spec);
  if (isObservable(source)) return source.pipe(multipleInstance(spec));
  const length = knownLength(source);
  return withConsumers(
    spec,
    new Observable<MIEvent<I, R>>((subscriber) => {
      const run = new MIRun(spec, subscriber);
      if (length !== undefined && spec.maxInstances !== undefined && length > spec.maxInstances) {
        run.refuseOversized(length, spec.maxInstances);
        return () => run.dispose();
      }
      run.connectControls();
      if (typeof source === 'number') (run as unknown as MIRun<number, R>).admitAll(countTo(source), true);
      else if (Array.isArray(source)) run.admitAll(source as readonly I[]);
      else {
        const intake: ClosableIntake =
          Symbol.asyncIterator in source
            ? asyncIteratorIntake((source as AsyncIterable<I>)[Symbol.asyncIterator](), run)
            : iteratorIntake((source as Iterable<I>)[Symbol.iterator](), run);
        run.add(() => intake.close());
        run.pullFrom(intake);
      }
      return () => run.dispose();
    }),
  );
}

/**
 * The engine's events through their consumers: the instance records that complete the result
 * (unless `keep: 'summary'`), then a receipt per decision when the spec has a log.
 */
function withConsumers<I, R>(
  spec: MISpec<I, R>,
  events: Observable<MIEvent<I, R>>,
): Observable<MIEvent<I, R>> {
  const recorded = spec.keep === 'summary' ? events : events.pipe(withInstanceRecords<I, R>());
  return spec.receipts ? recorded.pipe(recordDecisions(spec.receipts)) : recorded;
}

/** 0, 1, …, n − 1 (a source of known length: every index is admitted at the start). */
function countTo(n: number): number[] {
  const indexes = new Array<number>(n);
  for (let i = 0; i < n; i++) indexes[i] = i;
  return indexes;
}

/** The length of a number or array source, checked; undefined for lazy sources. */
function knownLength(source: unknown): number | undefined {
  if (typeof source === 'number') {
    if (!Number.isSafeInteger(source) || source < 0) {
      throw new ConfigError(
        'multiple-instance source',
        ['source'],
        [`source: a count must be an integer ≥ 0, got ${source}`],
      );
    }
    return source;
  }
  if (Array.isArray(source)) return source.length;
  const iterable =
    source !== null &&
    typeof source === 'object' &&
    (Symbol.iterator in source || Symbol.asyncIterator in source);
  if (!iterable) {
    throw new ConfigError(
      'multiple-instance source',
      ['source'],
      ['source: must be a count, an Iterable, an AsyncIterable or an Observable'],
    );
  }
  return undefined;
}
