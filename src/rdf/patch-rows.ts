import {
  DataFactory,
  type Literal,
  type NamedNode,
  type Quad,
  type Quad_Graph,
  type Quad_Object,
  type Quad_Predicate,
  type Quad_Subject,
  type Term,
} from 'n3';
import { EngineError } from '../errors.js';

const { namedNode, blankNode, literal, quad, defaultGraph } = DataFactory;

/** A malformed RDF Patch row: `line` is 1-based; the reason quotes at most a short excerpt. */
export class RdfPatchError extends EngineError {
  override readonly code = 'RDF_PATCH_INVALID' as const;

  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`RDF Patch line ${line}: ${reason}`);
  }
}

/** One row of an RDF Patch, as data: what the specification's rows say, nothing applied yet. */
export type PatchRow =
  /** `H key value .`: patch metadata, such as `id` and `prev` (the patch it follows). */
  | { readonly kind: 'header'; readonly line: number; readonly key: string; readonly value: Term }
  /** `TX`/`TB` begin, `TC` commit, `TA` abort. */
  | { readonly kind: 'transaction'; readonly line: number; readonly op: 'begin' | 'commit' | 'abort' }
  /** `PA prefix <iri>` / `PD prefix`: a change to the dataset's prefixes (not to the patch's terms). */
  | {
      readonly kind: 'prefix';
      readonly line: number;
      readonly op: 'add' | 'delete';
      readonly prefix: string;
      readonly iri: string | undefined;
    }
  /** `A s p o [g] .` / `D s p o [g] .` */
  | { readonly kind: 'quad'; readonly line: number; readonly op: 'add' | 'delete'; readonly quad: Quad };

const XSD = 'http://www.w3.org/2001/XMLSchema#';
const XSD_STRING = `${XSD}string`;
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
/** N-Triples' IRIREF: no controls, space, or `<>"{}|^`\` (escapes are decoded before this check). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what an IRI may not hold
const BAD_IRI = /[\u0000-\u0020<>"{}|^`\\]/;
const LANGUAGE = /^[a-zA-Z]+(-[a-zA-Z0-9]+)*$/;
const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?\d*\.\d+$/;
const DOUBLE = /^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$/;
const WORD = /^[A-Za-z][\w.-]*$/;

/** Error text quotes at most this much of the input: a 100 MB line must not become a 100 MB message. */
const EXCERPT = 60;
const excerpt = (text: string): string =>
  JSON.stringify(text.length > EXCERPT ? `${text.slice(0, EXCERPT)}…` : text);

type Token =
  | { readonly type: 'iri'; readonly text: string }
  | { readonly type: 'literal'; readonly text: string; readonly suffix: string }
  | { readonly type: 'bare'; readonly text: string }
  | { readonly type: 'dot' };

/**
 * Reads RDF Patch rows, as the specification and Apache Jena's reader write them. Each row ends with
 * `.` (a comment may follow it); a `"""…"""` literal may span lines. Tokens are scanned once, left to
 * right, so time is linear in the input, and error messages quote only an excerpt.
 */
export class PatchRowReader {
  private lineNumber = 0;
  /** The start of a row whose long literal continues on the next line, with its first line's number. */
  private carried: { text: string; line: number } | undefined;

  /** Reads one line; returns the row it completes, if any. */
  read(line: string): PatchRow | undefined {
    this.lineNumber++;
    let text = line;
    let rowLine = this.lineNumber;
    if (this.carried) {
      text = `${this.carried.text}\n${line}`;
      rowLine = this.carried.line;
      this.carried = undefined;
    }
    const tokens = this.tokenize(text, rowLine);
    if (tokens === 'open') {
      this.carried = { text, line: rowLine };
      return undefined;
    }
    if (tokens.length === 0) return undefined;
    return this.row(tokens, rowLine);
  }

  /** At the end of input: a long literal left open there is an error. */
  end(): void {
    if (this.carried) this.fail(this.carried.line, 'a """ literal is not closed');
  }

  private fail(line: number, reason: string): never {
    throw new RdfPatchError(line, reason);
  }

  private row(tokens: Token[], line: number): PatchRow {
    const last = tokens.at(-1)!;
    const head = tokens[0]!;
    if (head.type !== 'bare')
      this.fail(line, `a row starts with its kind (A, D, PA, PD, H, TX, TC, TA), not ${this.show(head)}`);
    if (last.type !== 'dot') this.fail(line, `${head.text} row does not end with "."`);
    const args = tokens.slice(1, -1);
    if (args.some((t) => t.type === 'dot')) this.fail(line, `${head.text} row has "." before its end`);
    switch (head.text) {
      case 'H': {
        if (args.length !== 2) this.fail(line, `H needs a key and a value, got ${args.length} items`);
        return {
          kind: 'header',
          line,
          key: this.name(args[0]!, line, 'a header key'),
          value: this.term(args[1]!, line),
        };
      }
      case 'TX':
      case 'TB':
      case 'TC':
      case 'TA':
        if (args.length > 0) this.fail(line, `${head.text} takes nothing before its "."`);
        return {
          kind: 'transaction',
          line,
          op: head.text === 'TC' ? 'commit' : head.text === 'TA' ? 'abort' : 'begin',
        };
      case 'PA':
      case 'PD': {
        const wanted = head.text === 'PA' ? 2 : 1;
        if (args.length !== wanted)
          this.fail(line, head.text === 'PA' ? 'PA needs a prefix and an IRI' : 'PD needs a prefix');
        const prefix = this.name(args[0]!, line, 'a prefix').replace(/:$/, '');
        const iri = args[1] === undefined ? undefined : this.iriValue(args[1], line);
        return { kind: 'prefix', line, op: head.text === 'PA' ? 'add' : 'delete', prefix, iri };
      }
      case 'A':
      case 'D': {
        if (args.length !== 3 && args.length !== 4)
          this.fail(line, `${head.text} needs 3 or 4 terms, got ${args.length}`);
        const [s, p, o, g] = args.map((token) => this.term(token, line)) as [Term, Term, Term, Term?];
        if (s.termType === 'Literal') this.fail(line, 'a literal cannot be a subject');
        if (p.termType !== 'NamedNode') this.fail(line, 'the predicate must be an IRI');
        if (g !== undefined && g.termType !== 'NamedNode' && g.termType !== 'BlankNode')
          this.fail(line, 'the graph must be an IRI or a blank node');
        const made = quad(
          s as Quad_Subject,
          p as Quad_Predicate,
          o as Quad_Object,
          (g ?? defaultGraph()) as Quad_Graph,
        ) as Quad;
        return { kind: 'quad', line, op: head.text === 'A' ? 'add' : 'delete', quad: made };
      }
      default:
        return this.fail(line, `unknown row kind ${excerpt(head.text)}`);
    }
  }

  private show(token: Token): string {
    return token.type === 'dot' ? '"."' : excerpt(token.text);
  }

  /** A header key or a prefix: a word, or a quoted string. */
  private name(token: Token, line: number, what: string): string {
    if (token.type === 'literal' && token.suffix === '') return this.unescape(token.text, line);
    if (token.type === 'bare' && WORD.test(token.text.replace(/:$/, ''))) return token.text;
    if (token.type === 'bare' && token.text === ':') return '';
    return this.fail(line, `${what} must be a word or a quoted string, not ${this.show(token)}`);
  }

  /** A prefix's IRI: `<iri>` or a quoted string. */
  private iriValue(token: Token, line: number): string {
    if (token.type === 'iri') return this.iri(token.text, line);
    if (token.type === 'literal' && token.suffix === '')
      return this.iri(this.unescape(token.text, line), line);
    return this.fail(line, `a prefix's IRI must be <…> or a quoted string, not ${this.show(token)}`);
  }

  private iri(raw: string, line: number): string {
    const value = raw.includes('\\') ? this.unescape(raw, line, true) : raw;
    if (BAD_IRI.test(value)) this.fail(line, `an IRI may not hold spaces or <>"{}|^\`\\: ${excerpt(value)}`);
    return value;
  }

  private term(token: Token, line: number): Term {
    switch (token.type) {
      case 'iri':
        // `<_:label>` is how RDF Patch (and Jena) write a blank node that keeps its label.
        if (token.text.startsWith('_:')) return blankNode(token.text.slice(2));
        return namedNode(this.iri(token.text, line));
      case 'literal':
        return this.literal(token, line);
      case 'dot':
        return this.fail(line, 'a term was expected before "."');
      case 'bare': {
        const { text } = token;
        if (text.startsWith('_:') && text.length > 2) return blankNode(text.slice(2));
        if (text === 'true' || text === 'false') return literal(text, namedNode(`${XSD}boolean`));
        if (INTEGER.test(text)) return literal(text, namedNode(`${XSD}integer`));
        if (DECIMAL.test(text)) return literal(text, namedNode(`${XSD}decimal`));
        if (DOUBLE.test(text)) return literal(text, namedNode(`${XSD}double`));
        if (/^[\w.-]*:/.test(text))
          return this.fail(
            line,
            `prefixed name ${excerpt(text)}: prefixes do not apply to a patch's data; write the full <IRI>`,
          );
        return this.fail(line, `not an RDF term: ${excerpt(text)}`);
      }
    }
  }

  private literal(token: Extract<Token, { type: 'literal' }>, line: number): Literal {
    const value = this.unescape(token.text, line);
    const { suffix } = token;
    if (suffix === '') return literal(value);
    if (suffix.startsWith('@')) {
      const language = suffix.slice(1);
      if (!LANGUAGE.test(language)) this.fail(line, `not a language tag: ${excerpt(language)}`);
      return literal(value, language);
    }
    if (suffix.startsWith('^^<') && suffix.endsWith('>')) {
      const datatype = this.iri(suffix.slice(3, -1), line);
      return datatype === XSD_STRING ? literal(value) : literal(value, namedNode(datatype) as NamedNode);
    }
    return this.fail(line, `unexpected ${excerpt(suffix)} after a literal (a datatype is ^^<IRI>)`);
  }

  private unescape(text: string, line: number, iri = false): string {
    if (!text.includes('\\')) return text;
    return text.replace(/\\(u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[^])/g, (_, code: string) => {
      if (code.length > 1) {
        const point = parseInt(code.slice(1), 16);
        if (point > 0x10ffff || (point >= 0xd800 && point <= 0xdfff))
          this.fail(line, `\\${code} is not a Unicode code point`);
        return String.fromCodePoint(point);
      }
      const escaped = iri ? undefined : ESCAPES[code];
      return escaped ?? this.fail(line, `bad escape \\${excerpt(code)} in ${iri ? 'an IRI' : 'a literal'}`);
    });
  }

  /**
   * Splits a row into tokens in one pass; `'open'` when a `"""` literal runs past the end. A `#`
   * outside a term starts a comment to the end of the line.
   */
  private tokenize(text: string, line: number): Token[] | 'open' {
    const tokens: Token[] = [];
    let i = 0;
    const n = text.length;
    while (i < n) {
      const c = text[i]!;
      if (c === ' ' || c === '\t' || c === '\r' || c === '\n') {
        i++;
      } else if (c === '#') {
        const newline = text.indexOf('\n', i);
        if (newline < 0) break;
        i = newline + 1;
      } else if (c === '.') {
        tokens.push({ type: 'dot' });
        i++;
      } else if (c === '<') {
        const close = text.indexOf('>', i + 1);
        if (close < 0) this.fail(line, 'an IRI is not closed with >');
        tokens.push({ type: 'iri', text: text.slice(i + 1, close) });
        i = close + 1;
      } else if (c === '"' || c === "'") {
        const long = text.startsWith(c.repeat(3), i);
        const quote = long ? c.repeat(3) : c;
        let end = i + quote.length;
        for (;;) {
          if (end >= n) {
            if (long) return 'open';
            this.fail(line, `a literal is not closed with ${c}`);
          }
          const ch = text[end]!;
          if (ch === '\\') end += 2;
          else if (long ? text.startsWith(quote, end) : ch === c) break;
          else if (!long && ch === '\n') this.fail(line, `a literal is not closed with ${c}`);
          else end++;
        }
        const body = text.slice(i + quote.length, end);
        let after = end + quote.length;
        const suffixStart = after;
        if (text[after] === '@') {
          after++;
          while (after < n && /[A-Za-z0-9-]/.test(text[after]!)) after++;
        } else if (text.startsWith('^^<', after)) {
          const close = text.indexOf('>', after + 3);
          if (close < 0) this.fail(line, 'a datatype IRI is not closed with >');
          after = close + 1;
        } else if (text.startsWith('^^', after)) {
          this.fail(line, "a datatype must be an <IRI> (prefixes do not apply to a patch's data)");
        }
        tokens.push({ type: 'literal', text: body, suffix: text.slice(suffixStart, after) });
        i = after;
      } else {
        let end = i;
        while (end < n && !' \t\r\n<"#'.includes(text[end]!)) end++;
        let bare = text.slice(i, end);
        // `TC.` and `… 42.`: a final dot on a bare word ends the row (a number keeps its inner dot).
        const dots = bare.endsWith('.') ? 1 : 0;
        if (dots) bare = bare.slice(0, -1);
        if (bare !== '') tokens.push({ type: 'bare', text: bare });
        if (dots) tokens.push({ type: 'dot' });
        i = end;
      }
    }
    return tokens;
  }
}
