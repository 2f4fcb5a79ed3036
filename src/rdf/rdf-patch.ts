import { AsyncIterableX } from 'ix/asynciterable';
import { defer, Observable, type Subscriber } from 'rxjs';
import { type PatchRow, PatchRowReader, RdfPatchError } from './patch-rows.js';
import type { RdfChange } from './rdf-change.js';
import { ConfigError } from '../errors.js';
import { valueKind } from '../../operators/internal/index.js';

export { RdfPatchError };
export type { PatchRow };

/** What `parseRdfPatch` reads: the whole text, a Node stream, or an (async) iterable of chunks split anywhere. */
export type PatchSource = string | AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array>;

/**
 * Cuts chunks into lines without ever joining a growing string: a line split over many chunks is
 * joined once, when its end arrives, so a 100 MB line costs linear time.
 */
class LineSplitter {
  private pieces: string[] = [];
  private readonly decoder = new TextDecoder();

  /** Calls `line` for each complete line; stops early when it returns false. */
  push(chunk: string | Uint8Array, line: (text: string) => boolean): boolean {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    let from = 0;
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n', from)) {
      this.pieces.push(text.slice(from, end));
      const whole = this.pieces.length === 1 ? this.pieces[0]! : this.pieces.join('');
      this.pieces = [];
      from = end + 1;
      if (!line(whole)) return false;
    }
    if (from < text.length) this.pieces.push(text.slice(from));
    return true;
  }

  end(line: (text: string) => boolean): void {
    const rest = this.decoder.decode();
    if (rest !== '') this.pieces.push(rest);
    if (this.pieces.length > 0) line(this.pieces.join(''));
    this.pieces = [];
  }
}

/**
 * @throws ConfigError for a source that is none of a {@link PatchSource}'s forms — at the call, so
 * nothing is half-started (a number would otherwise fail inside the read as "not async iterable")
 */
function assertPatchSource(source: unknown, reader: string): asserts source is PatchSource {
  if (typeof source === 'string') return;
  const iterable = source as { [Symbol.asyncIterator]?: unknown; [Symbol.iterator]?: unknown } | null;
  if (
    typeof iterable?.[Symbol.asyncIterator] === 'function' ||
    typeof iterable?.[Symbol.iterator] === 'function'
  )
    return;
  throw new ConfigError(
    `${reader} source`,
    ['source'],
    [
      `source: must be the patch text, a Node stream or an (async) iterable of chunks, got ${valueKind(source)}`,
    ],
  );
}

/** Every row of a patch, as a cold Observable, fed line by line from any {@link PatchSource}. */
function rowsOf<T>(
  source: PatchSource,
  onRow: (row: PatchRow, subscriber: Subscriber<T>) => void,
  atEnd: (subscriber: Subscriber<T>) => void,
): Observable<T> {
  return new Observable<T>((subscriber) => {
    const reader = new PatchRowReader();
    const lines = new LineSplitter();
    let stopped = false;
    const line = (text: string): boolean => {
      if (subscriber.closed) return false; // take(n) downstream: the rest of a large chunk is not parsed
      const row = reader.read(text);
      if (row) onRow(row, subscriber);
      return !subscriber.closed;
    };
    const finish = (): void => {
      lines.end(line);
      if (subscriber.closed) return;
      reader.end();
      atEnd(subscriber);
      subscriber.complete();
    };
    if (typeof source === 'string') {
      try {
        lines.push(source, line);
        finish();
      } catch (error) {
        subscriber.error(error);
      }
      return;
    }
    void (async () => {
      try {
        for await (const chunk of source as AsyncIterable<string | Uint8Array>) {
          if (stopped || !lines.push(chunk, line)) return;
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

/**
 * Every row of an RDF Patch as data — headers (`H id`, `H prev`), transaction marks, prefix
 * changes and quad changes — in order, with no transaction applied: for tools that chain patches by
 * their headers or carry prefix changes to a dataset. A malformed row errors with an
 * {@link RdfPatchError} naming its line.
 */
export function parsePatchRows(source: PatchSource): Observable<PatchRow> {
  assertPatchSource(source, 'parsePatchRows');
  return rowsOf<PatchRow>(
    source,
    (row, subscriber) => subscriber.next(row),
    () => undefined,
  );
}

/**
 * A patch's transactions, as the specification and Jena apply them: changes inside `TX`/`TB` … `TC`
 * are released together at `TC`, those before `TA` are dropped, changes outside a transaction pass
 * at once. A `TA` with no transaction open (Jena writes `TC` then `TA`) changes nothing.
 */
export class PatchTransactions {
  private open: RdfChange[] | undefined;
  private count = 0;

  /** The changes this row releases, in order. */
  apply(row: PatchRow): readonly RdfChange[] {
    switch (row.kind) {
      case 'transaction':
        if (row.op === 'begin') {
          if (this.open) throw new RdfPatchError(row.line, 'a transaction begins inside an open one');
          this.open = [];
          this.count++;
          return [];
        }
        if (row.op === 'abort') {
          this.open = undefined;
          return [];
        }
        if (!this.open) throw new RdfPatchError(row.line, 'TC without TX');
        return this.close();
      case 'quad': {
        const change: RdfChange = { op: row.op, quad: row.quad, ...(this.open ? { tx: this.count } : {}) };
        if (!this.open) return [change];
        this.open.push(change);
        return [];
      }
      default:
        return []; // headers and prefix changes are not quad changes
    }
  }

  /** At the end of input: a transaction still open was never committed. */
  end(line: number): void {
    if (this.open) throw new RdfPatchError(line, 'input ended inside a transaction (no TC or TA)');
  }

  private close(): RdfChange[] {
    const committed = this.open!;
    this.open = undefined;
    return committed;
  }
}

/**
 * Parses an RDF Patch into quad changes. Rows `H`, `TX`/`TB`, `TC`, `TA`, `PA`, `PD`, `A`, `D`, as the
 * specification and Jena's reader accept them; quads may carry a graph; literals a language or a
 * datatype, or be bare numbers and booleans; blank nodes as `_:b` or `<_:b>`. Prefixes are changes
 * to the dataset, not to the patch's terms (see {@link parsePatchRows} for them and the headers). A transaction's changes are emitted
 * together at its `TC`, an aborted one (`TA`) emits nothing — so memory is bounded by the largest
 * transaction, not the file. A malformed row errors with an {@link RdfPatchError} naming its line.
 *
 * ```text
 * rows:     TX  A  A  TC  A  TX  D  TA
 * changes:  ----------(ab)c----------|     b, a in the first transaction; the aborted one emits nothing
 * ```
 */
export function parseRdfPatch(source: PatchSource): Observable<RdfChange> {
  assertPatchSource(source, 'parseRdfPatch');
  // Each subscription reads the source afresh, with transactions of its own.
  return defer(() => {
    const transactions = new PatchTransactions();
    let lastLine = 0;
    return rowsOf<RdfChange>(
      source,
      (row, subscriber) => {
        lastLine = row.line;
        for (const change of transactions.apply(row)) subscriber.next(change);
      },
      () => transactions.end(lastLine),
    );
  });
}

/**
 * The pull form of {@link parseRdfPatch}: the committed quad changes as an `AsyncIterableX` (ix), read
 * from the source only as fast as they are pulled. Piped into `runMultipleInstance`, which pulls one
 * input per free slot, a patch far larger than memory is enriched in O(concurrency + the largest
 * transaction) memory; ix's operators (`filter`, `map`, `take`, …) compose on it, and breaking out
 * of a `for await` stops the reading.
 */
export function readRdfPatch(source: PatchSource): AsyncIterableX<RdfChange> {
  assertPatchSource(source, 'readRdfPatch');
  return new PulledChanges(source);
}

/**
 * An `AsyncIterableX` over the generator itself: ix's operators compose on it, and no per-item
 * wrapper sits in between (`AsyncIterableX.from` costs ~20× a bare async generator per item).
 */
class PulledChanges extends AsyncIterableX<RdfChange> {
  constructor(private readonly source: PatchSource) {
    super();
  }

  [Symbol.asyncIterator](): AsyncIterator<RdfChange> {
    return pullChanges(this.source);
  }
}

async function* pullChanges(source: PatchSource): AsyncGenerator<RdfChange> {
  const reader = new PatchRowReader();
  const transactions = new PatchTransactions();
  const lines = new LineSplitter();
  let lastLine = 0;
  let ready: RdfChange[] = [];
  const line = (text: string): boolean => {
    const row = reader.read(text);
    if (row) {
      lastLine = row.line;
      for (const change of transactions.apply(row)) ready.push(change);
    }
    return true;
  };
  const chunks: AsyncIterable<string | Uint8Array> | Iterable<string | Uint8Array> =
    typeof source === 'string' ? [source] : source;
  for await (const chunk of chunks) {
    lines.push(chunk, line);
    // Hand over what this chunk released before reading the next one: pulling drives reading.
    if (ready.length > 0) {
      const out = ready;
      ready = [];
      yield* out;
    }
  }
  lines.end(line);
  reader.end();
  transactions.end(lastLine);
  yield* ready;
}
