import {
  DataFactory,
  type Quad,
  type Quad_Graph,
  type Quad_Object,
  type Quad_Predicate,
  type Quad_Subject,
  type Term,
} from 'n3';
import { Observable } from 'rxjs';
import { EngineError } from '../errors.js';
import type { RdfChange } from './rdf-change.js';

const { namedNode, blankNode, literal, quad, defaultGraph } = DataFactory;

/** A malformed RDF Patch row: `line` is 1-based. */
export class RdfPatchError extends EngineError {
  override readonly code = 'RDF_PATCH_INVALID' as const;

  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`RDF Patch line ${line}: ${reason}`);
  }
}

/** What `parseRdfPatch` reads: the whole text, a Node stream, or an (async) iterable of chunks split anywhere. */
export type PatchSource = string | AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

const XSD_STRING = 'http://www.w3.org/2001/XMLSchema#string';
const ESCAPES: Record<string, string> = {
  t: '\t',
  b: '\b',
  n: '\n',
  r: '\r',
  f: '\f',
  '"': '"',
  "'": "'",
  '\\': '\\',
};

/**
 * One line's state machine: prefixes, the open transaction and its buffered changes. Pure apart from
 * what it is fed, so the stream wrapper and tests drive it the same way.
 */
export class PatchReader {
  private readonly prefixes = new Map<string, string>();
  private transaction: RdfChange[] | undefined;
  private transactions = 0;
  private lineNumber = 0;

  /** Reads one row; returns the changes it releases (a committed transaction, or a change outside one). */
  read(row: string): readonly RdfChange[] {
    this.lineNumber++;
    const text = row.trim();
    if (text === '' || text.startsWith('#')) return [];
    const tokens = this.tokenize(text);
    const head = tokens[0]!;
    const args = tokens.slice(1);
    if (args.at(-1) === '.') args.pop();
    switch (head) {
      case 'H':
        return [];
      case 'TX':
        if (this.transaction) this.fail('TX inside an open transaction');
        this.transaction = [];
        this.transactions++;
        return [];
      case 'TC': {
        if (!this.transaction) this.fail('TC without TX');
        const committed = this.transaction!;
        this.transaction = undefined;
        return committed;
      }
      case 'TA':
        if (!this.transaction) this.fail('TA without TX');
        this.transaction = undefined;
        return [];
      case 'PA':
        if (args.length !== 2 || !args[0]!.endsWith(':') || !args[1]!.startsWith('<'))
          this.fail('PA needs "prefix: <iri>"');
        this.prefixes.set(args[0]!.slice(0, -1), args[1]!.slice(1, -1));
        return [];
      case 'PD':
        if (args.length !== 1 || !args[0]!.endsWith(':')) this.fail('PD needs "prefix:"');
        this.prefixes.delete(args[0]!.slice(0, -1));
        return [];
      case 'A':
      case 'D': {
        if (args.length !== 3 && args.length !== 4)
          this.fail(`${head} needs 3 or 4 terms, got ${args.length}`);
        const [s, p, o, g] = args.map((token) => this.term(token));
        if (s!.termType === 'Literal') this.fail('a literal cannot be a subject');
        if (p!.termType !== 'NamedNode') this.fail('the predicate must be an IRI');
        const change: RdfChange = {
          op: head === 'A' ? 'add' : 'delete',
          quad: quad(
            s as Quad_Subject,
            p as Quad_Predicate,
            o as Quad_Object,
            (g ?? defaultGraph()) as Quad_Graph,
          ) as Quad,
          ...(this.transaction ? { tx: this.transactions } : {}),
        };
        if (this.transaction) {
          this.transaction.push(change);
          return [];
        }
        return [change];
      }
      default:
        return this.fail(`unknown row type ${JSON.stringify(head)}`);
    }
  }

  /** Call at the end of input: an open transaction there was never committed. */
  end(): void {
    if (this.transaction) this.fail('input ended inside a transaction (no TC or TA)');
  }

  private fail(reason: string): never {
    throw new RdfPatchError(this.lineNumber, reason);
  }

  private term(token: string): Term {
    if (token.startsWith('<')) return namedNode(token.slice(1, -1));
    if (token.startsWith('_:')) return blankNode(token.slice(2));
    if (token.startsWith('"')) {
      const close = token.lastIndexOf('"');
      const value = unescape(token.slice(1, close), () => this.fail('bad escape in a literal'));
      const rest = token.slice(close + 1);
      if (rest === '') return literal(value);
      if (rest.startsWith('@')) return literal(value, rest.slice(1));
      if (rest.startsWith('^^')) {
        const datatype = this.term(rest.slice(2));
        if (datatype.termType !== 'NamedNode') this.fail('a datatype must be an IRI');
        return datatype.value === XSD_STRING
          ? literal(value)
          : literal(value, datatype as ReturnType<typeof namedNode>);
      }
      return this.fail(`unexpected ${JSON.stringify(rest)} after a literal`);
    }
    const colon = token.indexOf(':');
    if (colon >= 0) {
      const base = this.prefixes.get(token.slice(0, colon));
      if (base === undefined) this.fail(`unknown prefix ${JSON.stringify(token.slice(0, colon + 1))}`);
      return namedNode(base + token.slice(colon + 1));
    }
    return this.fail(`not an RDF term: ${JSON.stringify(token)}`);
  }

  /** Splits a row into its head and terms: IRIs, prefixed names, blank nodes, quoted literals (with escapes). */
  private tokenize(text: string): string[] {
    const tokens: string[] = [];
    let i = 0;
    while (i < text.length) {
      const c = text[i]!;
      if (c === ' ' || c === '\t') {
        i++;
        continue;
      }
      let end: number;
      if (c === '<') {
        end = text.indexOf('>', i);
        if (end < 0) this.fail('an IRI is not closed with >');
        end++;
      } else if (c === '"') {
        end = i + 1;
        while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
        if (end >= text.length) this.fail('a literal is not closed with "');
        end++;
        while (end < text.length && text[end] !== ' ' && text[end] !== '\t') {
          if (text[end] === '<') {
            const close = text.indexOf('>', end);
            if (close < 0) this.fail('a datatype IRI is not closed with >');
            end = close + 1;
          } else end++;
        }
      } else {
        end = i;
        while (end < text.length && text[end] !== ' ' && text[end] !== '\t') end++;
      }
      tokens.push(text.slice(i, end));
      i = end;
    }
    return tokens;
  }
}

function unescape(text: string, fail: () => never): string {
  if (!text.includes('\\')) return text;
  return text.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|.)/g, (_, code: string) => {
    if (code.length > 1) return String.fromCodePoint(parseInt(code.slice(1), 16));
    return ESCAPES[code] ?? fail();
  });
}

/**
 * Parses an RDF Patch into changes. Rows `H`, `TX`, `TC`, `TA`, `PA`, `PD`, `A`, `D`; quads may carry
 * a graph; literals a language or a datatype; blank nodes. A transaction's changes are emitted
 * together at its `TC`, an aborted one (`TA`) emits nothing — so memory is bounded by the largest
 * transaction, not the file. A malformed row errors with an {@link RdfPatchError} naming its line.
 *
 * ```text
 * rows:     TX  A  A  TC  A  TX  D  TA
 * changes:  ----------(ab)c----------|     b, a in the first transaction; the aborted one emits nothing
 * ```
 */
export function parseRdfPatch(source: PatchSource): Observable<RdfChange> {
  return new Observable<RdfChange>((subscriber) => {
    const reader = new PatchReader();
    const decoder = new TextDecoder();
    let pending = '';
    let stopped = false;
    const feed = (chunk: string | Uint8Array): void => {
      const text = pending + (typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
      const rows = text.split('\n');
      pending = rows.pop()!;
      for (const row of rows) {
        if (subscriber.closed) return; // take(n) downstream: the rest of a large chunk is not parsed
        for (const change of reader.read(row)) subscriber.next(change);
      }
    };
    const finish = (): void => {
      feed(decoder.decode());
      if (subscriber.closed) return;
      for (const change of reader.read(pending)) subscriber.next(change);
      reader.end();
      subscriber.complete();
    };
    if (typeof source === 'string') {
      try {
        feed(source);
        finish();
      } catch (error) {
        subscriber.error(error);
      }
      return;
    }
    void (async () => {
      try {
        for await (const chunk of source as AsyncIterable<string | Uint8Array>) {
          if (stopped) return;
          feed(chunk);
        }
        if (!stopped) finish();
      } catch (error) {
        if (!stopped) subscriber.error(error);
      }
    })();
    return () => {
      stopped = true;
    };
  });
}
