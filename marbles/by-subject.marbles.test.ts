import { DataFactory } from 'n3';
import { map } from 'rxjs';
import { describe, it } from 'vitest';
import { bySubject, type RdfChange } from 'rxdaemon';
import { marbleScheduler } from './helpers.js';

const { quad, namedNode, literal } = DataFactory;
const change = (subject: string, value: string): RdfChange => ({
  op: 'add',
  quad: quad(namedNode(`urn:${subject}`), namedNode('urn:p'), literal(value)),
});

describe('bySubject', () => {
  it('groups changes per subject for windowMs after its first change, flushing the rest at completion', () => {
    marbleScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const changes = hot('a-b-c-----d|', {
        a: change('a', '1'),
        b: change('b', '1'),
        c: change('a', '2'),
        d: change('b', '2'),
      });
      const groups = changes.pipe(
        bySubject({ windowMs: 4 }),
        map((g) => `${g.subject.value}:${g.changes.map((c) => c.quad.object.value).join(',')}`),
      );
      expectObservable(groups).toBe('----A-B----(C|)', { A: 'urn:a:1,2', B: 'urn:b:1', C: 'urn:b:2' });
      expectSubscriptions(changes.subscriptions).toBe('^----------!');
    });
  });

  it('unsubscribing cancels the open windows', () => {
    marbleScheduler().run(({ hot, expectObservable, expectSubscriptions }) => {
      const changes = hot('a------|', { a: change('a', '1') });
      expectObservable(changes.pipe(bySubject({ windowMs: 4 })), '^-!').toBe('---');
      expectSubscriptions(changes.subscriptions).toBe('^-!');
    });
  });
});
