import { Readable } from 'node:stream';
import { DataFactory, Store } from 'n3';
import { firstValueFrom, from, lastValueFrom, toArray } from 'rxjs';
import { toArray as toArrayIx } from 'ix/asynciterable';
import { filter as filterIx } from 'ix/asynciterable/operators';
import { describe, expect, it } from 'vitest';
import {
  applyChanges,
  bySubject,
  changesMatching,
  ConfigError,
  observeStore,
  parsePatchRows,
  parseQuads,
  parseRdfPatch,
  readRdfPatch,
  runMultipleInstance,
  threshold,
  toMIResult,
  type RdfChange,
  RdfPatchError,
} from 'rxdaemon';

const patch = `H id <urn:uuid:0a1b> .
PA ex: <http://example.org/> .
PA foaf: <http://xmlns.com/foaf/0.1/> .
TX .
A <http://example.org/alice> <http://xmlns.com/foaf/0.1/name> "Alice"@en .
A <http://example.org/alice> <http://example.org/age> "42"^^<http://www.w3.org/2001/XMLSchema#integer> <http://example.org/people> .
A _:b1 <http://xmlns.com/foaf/0.1/knows> <http://example.org/alice> .
TC .
TX .
D <http://example.org/alice> <http://xmlns.com/foaf/0.1/name> "Alice"@en .
TA .
A <http://example.org/bob> <http://xmlns.com/foaf/0.1/name> "Bob \\"the builder\\"\\n" .
D <http://example.org/alice> <http://example.org/age> "42"^^<http://www.w3.org/2001/XMLSchema#integer> <http://example.org/people> .
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
    await expect(bad('PA ex: <http://e/> .\nA ex:a <http://e/p> <http://e/o> .\n')).rejects.toThrow(
      /line 2: prefixed name "ex:a": prefixes do not apply to a patch's data/,
    );
    await expect(bad('\nTC .\n')).rejects.toThrow(/line 2: TC without TX/);
    await expect(bad('X <urn:a> .\n')).rejects.toThrow(RdfPatchError);
    await expect(bad('TX .\nA <urn:a> <urn:p> "o" .\n')).rejects.toThrow(/ended inside a transaction/);
    await expect(bad('A "lit" <urn:p> <urn:o> .\n')).rejects.toThrow(/literal cannot be a subject/);
  });
});

describe('RDF Patch as the specification and Jena write it', () => {
  const rows = (text: string) => lastValueFrom(parsePatchRows(text).pipe(toArray()));
  const changes = (text: string) => lastValueFrom(parseRdfPatch(text).pipe(toArray()));

  it('headers chain patches; prefixes (quoted or not, with or without a colon) are changes, not applied to data', async () => {
    const all = await rows(
      [
        'H id <urn:uuid:2> .',
        'H prev <urn:uuid:1> .',
        'H "creator" "ops team" .',
        'PA "rdf" "http://www.w3.org/1999/02/22-rdf-syntax-ns#" .',
        'PA owl <http://www.w3.org/2002/07/owl#> .',
        'PA ex: <http://example.org/> .',
        'PD "owl" .',
        'TX .',
        'A <http://example.org/s> <http://example.org/p> <http://example.org/o> .',
        'TC .',
      ].join('\n'),
    );
    const headers = all.flatMap((r) => (r.kind === 'header' ? [[r.key, r.value.value]] : []));
    expect(headers).toEqual([
      ['id', 'urn:uuid:2'],
      ['prev', 'urn:uuid:1'],
      ['creator', 'ops team'],
    ]);
    const prefixes = all.flatMap((r) => (r.kind === 'prefix' ? [[r.op, r.prefix, r.iri]] : []));
    expect(prefixes).toEqual([
      ['add', 'rdf', 'http://www.w3.org/1999/02/22-rdf-syntax-ns#'],
      ['add', 'owl', 'http://www.w3.org/2002/07/owl#'],
      ['add', 'ex', 'http://example.org/'],
      ['delete', 'owl', undefined],
    ]);
    expect(all.filter((r) => r.kind === 'quad')).toHaveLength(1);
  });

  it('TB begins like TX; TC. needs no space; a comment may follow the final dot; TA right after TC changes nothing', async () => {
    const got = await changes(
      [
        'TB .',
        'A <urn:a> <urn:p> "1" . # first',
        'TC.',
        'TA .',
        'TX.',
        'A <urn:b> <urn:p> "2".',
        'TA .',
        '# a comment row',
        'A <urn:c> <urn:p> "3" .',
      ].join('\n'),
    );
    expect(got.map((c) => [c.quad.subject.value, c.tx])).toEqual([
      ['urn:a', 1],
      ['urn:c', undefined],
    ]);
  });

  it('terms: <_:label> and _:label blank nodes, \\u escapes in IRIs, bare numbers and booleans, """long""" literals', async () => {
    const got = await changes(
      [
        'A <_:b0> <urn:p> _:b1 .',
        'A <http://example.org/caf\\u00E9> <urn:p> 42 .',
        'A <urn:s> <urn:p> -1.5 .',
        'A <urn:s> <urn:p> 6.02e23 .',
        'A <urn:s> <urn:p> true .',
        'A <urn:s> <urn:p> """two',
        'lines with "quotes\'\'""" .',
        "A <urn:s> <urn:p> 'single'@en-GB .",
      ].join('\n'),
    );
    const terms = got.map(({ quad }) => [quad.subject.termType, quad.object.termType, quad.object.value]);
    expect(terms[0]).toEqual(['BlankNode', 'BlankNode', 'b1']);
    expect(got[0]!.quad.subject.value).toBe('b0');
    expect(got[1]!.quad.subject.value).toBe('http://example.org/café');
    const datatype = (i: number) => {
      const object = got[i]!.quad.object;
      return object.termType === 'Literal' ? [object.value, object.datatype.value.split('#')[1]] : undefined;
    };
    expect([1, 2, 3, 4].map(datatype)).toEqual([
      ['42', 'integer'],
      ['-1.5', 'decimal'],
      ['6.02e23', 'double'],
      ['true', 'boolean'],
    ]);
    expect(got[5]!.quad.object.value).toBe("two\nlines with \"quotes''");
    const single = got[6]!.quad.object;
    expect(single.termType === 'Literal' && [single.value, single.language]).toEqual(['single', 'en-gb']);
  });

  it('rejects what n3 and the specification reject, with the line and a short reason', async () => {
    const cases: [string, RegExp][] = [
      ['A <urn:s> <urn:p> <urn:o> "literal graph" .', /graph must be an IRI/],
      ['A <urn:s> <urn:p> <urn:o>', /does not end with "."/],
      ['A <urn:s p> <urn:p> <urn:o> .', /IRI may not hold spaces/],
      ['A <urn:s> <urn:p> <urn:o} ; DROP ALL ;> .', /IRI may not hold/],
      ['A <urn:s> <urn:p> "x"@en-<>"" .', /./],
      ['A <urn:s> <urn:p> "\\U00110000" .', /not a Unicode code point/],
      ['A <urn:s> "p" <urn:o> .', /predicate must be an IRI/],
      ['PA ex .', /PA needs a prefix and an IRI/],
      ['TC .', /TC without TX/],
    ];
    for (const [row, reason] of cases) {
      const error = await changes(`\n${row}\n`).catch((e: unknown) => e);
      expect(error, row).toBeInstanceOf(RdfPatchError);
      expect((error as RdfPatchError).line, row).toBe(2);
      expect((error as Error).message, row).toMatch(reason);
    }
  });

  it('reads in linear time, and an error quotes only an excerpt of a huge line', async () => {
    const literal = 'x'.repeat(8 * 2 ** 20);
    const line = `A <urn:s> <urn:p> "${literal}" .\n`;
    const chunks = Array.from({ length: Math.ceil(line.length / 65_536) }, (_, i) =>
      line.slice(i * 65_536, (i + 1) * 65_536),
    );
    const [change] = await lastValueFrom(parseRdfPatch(chunks).pipe(toArray()));
    expect(change!.quad.object.value).toHaveLength(literal.length);
    const error = (await changes(`Q${'z'.repeat(4 * 2 ** 20)} .\n`).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(RdfPatchError);
    expect(error.message.length).toBeLessThan(200);
  }, 20_000);
});

describe('readRdfPatch: the pull form (ix)', () => {
  it('gives the same changes as parseRdfPatch, and composes with ix operators', async () => {
    const pushed = await lastValueFrom(parseRdfPatch(patch).pipe(toArray()));
    const pulled = await toArrayIx(readRdfPatch(patch));
    expect(pulled.map(show)).toEqual(pushed.map(show));
    const deletes = await toArrayIx(readRdfPatch(patch).pipe(filterIx((c) => c.op === 'delete')));
    expect(deletes.map(show)).toEqual(pushed.filter((c) => c.op === 'delete').map(show));
  });

  it('reads only as fast as an MI task pulls: a threshold over an endless patch reads a few chunks', async () => {
    let chunksRead = 0;
    async function* endless(): AsyncGenerator<string> {
      for (let n = 0; ; n++) {
        chunksRead++;
        yield Array.from({ length: 10 }, (_, i) => `A <urn:s${n * 10 + i}> <urn:p> "${i}" .\n`).join('');
      }
    }
    const result = await firstValueFrom(
      runMultipleInstance(readRdfPatch(endless()), {
        taskId: 'enrich',
        concurrency: 4,
        completion: threshold(25),
        run: (change: RdfChange) => change.quad.subject.value,
      }).pipe(toMIResult()),
    );
    expect(result.values).toHaveLength(25);
    expect(chunksRead).toBeLessThanOrEqual(5); // 25 wanted, 10 a chunk: the rest never read
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

  it('names bad input at the call: a source, a store or a pattern that is none; a stream of non-changes errors', async () => {
    for (const read of [parseRdfPatch, parsePatchRows, readRdfPatch]) {
      for (const source of [42, null, { text: 'A …' }])
        expect(() => read(source as never)).toThrow(
          /must be the patch text, a Node stream or an \(async\) iterable/,
        );
    }
    // A generator of chunks is a source like any other.
    const chunks = function* () {
      yield 'A <http://x/s> <http://x/p> "o" .\n';
    };
    expect(await lastValueFrom(parseRdfPatch(chunks()).pipe(toArray()))).toHaveLength(1);
    expect(() => observeStore({} as never)).toThrow(ConfigError);
    expect(() => applyChanges({} as never)).toThrow(/applyChanges store: store: must be an n3 Store/);
    expect(() => changesMatching(undefined as never)).toThrow(ConfigError);
    expect(() => changesMatching({ subject: 42 } as never)).toThrow(/subject/);
    // A store from another copy of n3 is a store too (judged by its methods, not its class).
    const foreign = Object.assign(Object.create(null) as object, {
      addQuad: () => true,
      removeQuad: () => true,
    });
    expect(() => applyChanges(foreign as never)).not.toThrow();
    // Values that are no changes (plain JS) error the stream, naming them; nothing is thrown uncaught.
    const fed = from([1, 'x'] as unknown as RdfChange[]).pipe(bySubject({ windowMs: 1 }), toArray());
    await expect(lastValueFrom(fed)).rejects.toThrow(
      /bySubject: expected RdfChange values \(\{ op, quad \}\), got 1/,
    );
  });
});
