import { type Quad, StreamParser } from 'n3';
import { Observable } from 'rxjs';
import { z } from 'zod';
import { parseConfig } from '../../operators/internal/index.js';
import type { PatchSource } from './rdf-patch.js';
import type { RdfChange } from './rdf-change.js';

export type QuadFormat = 'N-Quads' | 'N-Triples' | 'Turtle' | 'TriG';

const optionsSchema = z.strictObject({ format: z.enum(['N-Quads', 'N-Triples', 'Turtle', 'TriG']) });

/**
 * Parses N-Quads, N-Triples, Turtle or TriG with n3's streaming parser; every quad is an `add`.
 * Chunks may split anywhere; a syntax error is the stream's error (n3's message, with its line).
 */
export function parseQuads(
  source: PatchSource,
  options: { readonly format: QuadFormat },
): Observable<RdfChange> {
  const { format } = parseConfig('parseQuads options', optionsSchema, options);
  return new Observable<RdfChange>((subscriber) => {
    const parser = new StreamParser({ format });
    let stopped = false;
    parser.on('data', (quad: Quad) => subscriber.next({ op: 'add', quad }));
    parser.on('error', (error: Error) => subscriber.error(error));
    parser.on('end', () => subscriber.complete());
    void (async () => {
      try {
        const chunks = typeof source === 'string' ? [source] : (source as AsyncIterable<string | Uint8Array>);
        for await (const chunk of chunks) {
          if (stopped) return;
          parser.write(typeof chunk === 'string' ? chunk : Buffer.from(chunk));
        }
        if (!stopped) parser.end();
      } catch (error) {
        if (!stopped) subscriber.error(error);
      }
    })();
    return () => {
      stopped = true;
      parser.removeAllListeners('data');
    };
  });
}
