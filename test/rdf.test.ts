import { Readable } from 'node:stream';
import { DataFactory, Store } from 'n3';
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  applyChanges,
  changesMatching,
  observeStore,
  parseQuads,
  parseRdfPatch,
  type RdfChange,
  RdfPatchError,
} from 'rxdaemon';

const patch = `H id <urn:uuid:0a1b> .
PA ex: <http://example.org/> .
PA foaf: <http://xmlns.com/foaf/0.1/> .
TX .
A ex:alice foaf:name "Alice"@en .
A ex:alice ex:age "42"^^<http://www.w3.org/2001/XMLSchema#integer> ex:people .
A _:b1 foaf:knows ex:alice .
TC .
TX .
D ex:alice foaf:name "Alice"@en .
TA .
A <http://example.org/bob> foaf:name "Bob \\"the builder\\"\\n" .
D ex:alice ex:age "42"^^<http://www.w3.org/2001/XMLSchema#integer> ex:people .
`;

const show = (c: RdfChange) =>
  `${c.op}${c.tx ? `@${c.tx}` : ''} ${c.quad.subject.termType === 'BlankNode' ? '_:' : ''}${c.quad.subject.value} ${c.quad.predicate.value} ${JSON.stringify(c.quad.object.value)}${c.quad.graph.value ? ` ${c.quad.graph.value}` : ''}`;

describe('parseRdfPatch', () => {
  const expected = [
    'add@1 http://example.org/alice http://xmlns.com/foaf/0.1/name "Alice"',
    'add@1 http://example.org/alice http://example.org/age "42" http://example.org/people',
    'add@1 _:b1 http://xmlns.com/foaf/0.1/knows "http://example.org/alice"',
    'add http://example.org/bob http://xmlns.com/foaf/0.1/name "Bob \\"the builder\\"\\n"',
    'delete http://example.org/alice http://example.org/age "42" http://example.org/people',
  ];

  it('reads prefixes, graphs, literals with language or datatype, blank nodes; aborted transactions emit nothing', async () => {
    const changes = await lastValueFrom(parseRdfPatch(patch).pipe(toArray()));
    expect(changes.map(show)).toEqual(expected);
    const name = changes[0]!.quad.object;
    expect(name.termType === 'Literal' && name.language).toBe('en');
    const age = changes[1]!.quad.object;
    expect(age.termType === 'Literal' && age.datatype.value).toBe('http://www.w3.org/2001/XMLSchema#integer');
  });

  it('gives the same changes from a Node stream and from chunks split anywhere, even inside a UTF-8 character', async () => {
    const bytes = new TextEncoder().encode(patch.replace('Alice', 'Alïce'));
    const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) =>
      bytes.slice(i * 7, i * 7 + 7),
    );
    const fromChunks = await lastValueFrom(
      parseRdfPatch(
        (async function* () {
          yield* chunks;
        })(),
      ).pipe(toArray()),
    );
    const fromStream = await lastValueFrom(parseRdfPatch(Readable.from(chunks)).pipe(toArray()));
    expect(fromChunks.map(show)).toEqual(expected.map((l) => l.replace('Alice', 'Alïce')));
    expect(fromStream.map(show)).toEqual(fromChunks.map(show));
  });

  it('emits a transaction only at its TC', async () => {
    const seen: RdfChange[] = [];
    let seenBeforeCommit = -1;
    const source = (async function* () {
      yield 'TX .\nA <urn:a> <urn:p> "1" .\nA <urn:b> <urn:p> "2" .\n';
      seenBeforeCommit = seen.length;
      yield 'TC .\n';
    })();
    await lastValueFrom(parseRdfPatch(source).pipe(toArray())).then((all) => seen.push(...all));
    const live: RdfChange[] = [];
    const source2 = (async function* () {
      yield 'TX .\nA <urn:a> <urn:p> "1" .\n';
      seenBeforeCommit = live.length;
      yield 'TC .\n';
    })();
    await new Promise<void>((done) =>
      parseRdfPatch(source2).subscribe({ next: (c) => live.push(c), complete: done }),
    );
    expect(seenBeforeCommit).toBe(0);
    expect(live.map((c) => c.tx)).toEqual([1]);
    expect(seen).toHaveLength(2);
  });

  it('names the line and the problem of a malformed row', async () => {
    const bad = (text: string) => firstValueFrom(parseRdfPatch(text).pipe(toArray()));
    await expect(bad('A <urn:a> <urn:p> .\n')).rejects.toThrow(/line 1: A needs 3 or 4 terms/);
    await expect(bad('PA ex: <http://e/> .\nA ex:a ex:p nope:x .\n')).rejects.toThrow(
      /line 2: unknown prefix "nope:"/,
    );
    await expect(bad('\nTC .\n')).rejects.toThrow(/line 2: TC without TX/);
    await expect(bad('X <urn:a> .\n')).rejects.toThrow(RdfPatchError);
    await expect(bad('TX .\nA <urn:a> <urn:p> "o" .\n')).rejects.toThrow(/ended inside a transaction/);
    await expect(bad('A "lit" <urn:p> <urn:o> .\n')).rejects.toThrow(/literal cannot be a subject/);
  });
});

describe('parseQuads and stores', () => {
  it('parses N-Quads, N-Triples, Turtle and TriG as adds', async () => {
    const turtle = '@prefix ex: <http://example.org/> . ex:a ex:p "1", "2" .';
    expect(await lastValueFrom(parseQuads(turtle, { format: 'Turtle' }).pipe(toArray()))).toHaveLength(2);
    const nquads = '<urn:a> <urn:p> "x" <urn:g> .\n<urn:b> <urn:p> "y" .\n';
    const changes = await lastValueFrom(parseQuads(nquads, { format: 'N-Quads' }).pipe(toArray()));
    expect(changes.map((c) => [c.op, c.quad.graph.value])).toEqual([
      ['add', 'urn:g'],
      ['add', ''],
    ]);
    expect(
      await lastValueFrom(parseQuads('<urn:a> <urn:p> "x" .', { format: 'N-Triples' }).pipe(toArray())),
    ).toHaveLength(1);
    expect(
      await lastValueFrom(parseQuads('<urn:g> { <urn:a> <urn:p> "x" }', { format: 'TriG' }).pipe(toArray())),
    ).toHaveLength(1);
    await expect(lastValueFrom(parseQuads('<urn:a> <urn:p> .', { format: 'N-Triples' }))).rejects.toThrow();
  });

  it('applies changes to a store, observes a store, and filters changes by pattern', async () => {
    const store = new Store();
    const observed = observeStore();
    const seen: string[] = [];
    observed.changes.subscribe((c) => seen.push(`${c.op} ${c.quad.subject.value}`));
    const changes = await lastValueFrom(
      parseRdfPatch(patch).pipe(
        applyChanges(store),
        applyChanges(observed),
        changesMatching({ op: 'add', predicate: 'http://xmlns.com/foaf/0.1/name' }),
        toArray(),
      ),
    );
    expect(changes.map((c) => c.quad.subject.value)).toEqual([
      'http://example.org/alice',
      'http://example.org/bob',
    ]);
    expect(store.size).toBe(3); // alice's name, b1 knows alice, bob's name (the age was deleted)
    expect(observed.store.size).toBe(3);
    expect(seen).toHaveLength(5);
    expect(
      observed.add(
        DataFactory.quad(
          DataFactory.namedNode('http://example.org/bob'),
          DataFactory.namedNode('http://xmlns.com/foaf/0.1/name'),
          DataFactory.literal('Bob "the builder"\n'),
        ),
      ),
    ).toBe(false);
  });
});
