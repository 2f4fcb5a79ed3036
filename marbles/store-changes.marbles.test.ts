import { DataFactory, Store } from 'n3';
import { map } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { applyChanges, changesMatching, observeStore, type RdfChange } from 'rxdaemon';
import { marbleScheduler } from './helpers.js';

const { quad, namedNode, literal } = DataFactory;
const change = (op: RdfChange['op'], subject: string): RdfChange => ({
  op,
  quad: quad(namedNode(`urn:${subject}`), namedNode('urn:p'), literal('v')),
});

describe('applyChanges', () => {
  it('applies each change as it passes; unsubscribing stops applying', () => {
    const store = new Store();
    marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const changes = cold('-a-b-d-|', {
        a: change('add', 'a'),
        b: change('add', 'b'),
        d: change('delete', 'a'),
      });
      const sizes = changes.pipe(
        applyChanges(store),
        map(() => store.size),
      );
      expectObservable(sizes, '^----!').toBe('-1-2-', { 1: 1, 2: 2 });
      expectSubscriptions(changes.subscriptions).toBe('^----!');
    });
    // The delete came after the unsubscription: it was not applied.
    expect(store.size).toBe(2);
  });

  it('writes through an observed store, whose feed sees every write', () => {
    const observed = observeStore();
    const seen: string[] = [];
    observed.changes.subscribe((c) => seen.push(`${c.op} ${c.quad.subject.value}`));
    marbleScheduler().run(({ cold, expectObservable }) => {
      const changes = cold('-a-d|', { a: change('add', 'a'), d: change('delete', 'a') });
      expectObservable(
        changes.pipe(
          applyChanges(observed),
          map((c) => c.op),
        ),
      ).toBe('-a-d|', {
        a: 'add',
        d: 'delete',
      });
    });
    expect(seen).toEqual(['add urn:a', 'delete urn:a']);
  });
});

describe('changesMatching', () => {
  it('keeps the changes matching the pattern; unsubscribing tears the source down', () => {
    marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const changes = cold('-a-d-b-|', {
        a: change('add', 'a'),
        d: change('delete', 'a'),
        b: change('add', 'b'),
      });
      const kept = changes.pipe(
        changesMatching({ op: 'add', subject: 'urn:a' }),
        map((c) => c.quad.subject.value),
      );
      expectObservable(kept).toBe('-a-----|', { a: 'urn:a' });
      expectObservable(changes.pipe(changesMatching({ subject: namedNode('urn:b') })), '^--!').toBe('---');
      expectSubscriptions(changes.subscriptions).toBe(['^------!', '^--!']);
    });
  });
});
