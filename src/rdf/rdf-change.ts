import type { Quad } from 'n3';

/** One change of an RDF change feed: a quad added or deleted, with its transaction if it had one. */
export interface RdfChange {
  readonly op: 'add' | 'delete';
  readonly quad: Quad;
  /** 1-based number of the transaction (TX … TC) the change was committed in. */
  readonly tx?: number;
}
