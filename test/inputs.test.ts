import { DataFactory, Store } from 'n3';
import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  bySubject,
  ConfigError,
  cron,
  multipleInstance,
  onEvent,
  onMutation,
  observeStore,
  parseQuads,
  type RdfChange,
  runMultipleInstance,
  workerPool,
} from 'rxdaemon';

const { namedNode, literal, quad } = DataFactory;
const q = (s: string, o: string) => quad(namedNode(`ex:${s}`), namedNode('ex:p'), literal(o));

describe('bad input is a ConfigError naming what is wrong', () => {
  it('cron(5n) and cron with a non-string zone', () => {
    expect(() => cron(5n as never)).toThrow(ConfigError);
    expect(() => cron('* * * * *', { tz: 5 as never })).toThrow(ConfigError);
  });

  it('misspelt option keys are rejected everywhere, naming the key', () => {
    expect(() =>
      runMultipleInstance(1, { taskId: 't', run: () => 1, concurrency: 1, instanceTimeout: 5 } as never),
    ).toThrow(/instanceTimeout/);
    expect(() => multipleInstance({ taskId: 't', run: () => 1, concurency: 1 } as never)).toThrow(
      ConfigError,
    );
    expect(() => workerPool(() => 1, { concurrency: 1, cancell: new Subject() } as never)).toThrow(/cancell/);
    expect(() => bySubject({ windowMs: 10, window: 5 } as never)).toThrow(/window/);
  });

  it('bySubject, parseQuads and onMutation options', () => {
    expect(() => bySubject({ windowMs: -1 })).toThrow(ConfigError);
    expect(() => bySubject({ windowMs: 'soon' as never })).toThrow(ConfigError);
    expect(() => parseQuads('', { format: 'JSON' as never })).toThrow(ConfigError);
    expect(() => onMutation(new Subject(), { kinds: 'update' as never })).toThrow(ConfigError);
    expect(() => onEvent(new Subject<{ name: string }>(), 5 as never)).toThrow(ConfigError);
    expect(() => onEvent(new Subject<{ name: string }>(), 'x', 'not a function' as never)).toThrow(
      ConfigError,
    );
  });

  it("onMutation's kinds match whole kinds, never substrings", () => {
    const mutations = new Subject<{ entity: string; kind: string }>();
    const seen: unknown[] = [];
    onMutation(mutations, { kinds: ['update'] }).subscribe((f) => seen.push(f.cause));
    mutations.next({ entity: 'o', kind: 'upd' });
    mutations.next({ entity: 'o', kind: 'update' });
    expect(seen).toHaveLength(1);
  });

  it('onEvent with a global RegExp matches every matching event (no lastIndex state)', () => {
    const events = new Subject<{ name: string }>();
    let fires = 0;
    onEvent(events, /order/g).subscribe(() => fires++);
    for (let i = 0; i < 4; i++) events.next({ name: 'order.placed' });
    expect(fires).toBe(4);
  });
});

describe('observeStore sees every effective write, whichever n3 method makes it', () => {
  it('addQuad(s), removeQuad(s), removeMatches, deleteGraph, import', async () => {
    const observed = observeStore(new Store());
    const changes: string[] = [];
    observed.changes.subscribe((c: RdfChange) => changes.push(`${c.op} ${c.quad.subject.value}`));
    const { store } = observed;
    store.addQuad(q('a', '1'));
    store.addQuad(q('a', '1')); // already there: not a change
    store.addQuad(namedNode('ex:b'), namedNode('ex:p'), literal('2'));
    store.addQuads([q('c', '3'), q('d', '4')]);
    store.removeQuad(q('a', '1'));
    store.removeQuads([q('c', '3')]);
    await new Promise((resolve) => store.removeMatches(namedNode('ex:b')).on('end', resolve));
    store.addQuad(quad(namedNode('ex:g1'), namedNode('ex:p'), literal('5'), namedNode('ex:graph')));
    await new Promise((resolve) => store.deleteGraph(namedNode('ex:graph')).on('end', resolve));
    observed.add(q('e', '6'));
    expect(changes).toEqual([
      'add ex:a',
      'add ex:b',
      'add ex:c',
      'add ex:d',
      'delete ex:a',
      'delete ex:c',
      'delete ex:b',
      'add ex:g1',
      'delete ex:g1',
      'add ex:e',
    ]);
  });
});
