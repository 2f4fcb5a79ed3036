/** RDF change feeds (issue 7): parsing a 1,000,000-row RDF Patch against n3's own N-Quads parser on the same quads. */
import { Parser } from 'n3';
import { lastValueFrom, count } from 'rxjs';
import { parseRdfPatch } from 'rxdaemon';
import { fmtOps, table } from './harness.js';

function rows(n: number): { patch: string; nquads: string } {
  const patch: string[] = [];
  const nquads: string[] = [];
  for (let i = 0; i < n; i++) {
    const s = `<http://example.org/product/${i % 20_000}>`;
    const p =
      i % 3 === 0
        ? '<https://schema.org/name>'
        : i % 3 === 1
          ? '<https://schema.org/price>'
          : '<http://example.org/stock>';
    const o =
      i % 3 === 0
        ? `"product ${i}"@en`
        : i % 3 === 1
          ? `"${(i % 500) + 0.5}"^^<http://www.w3.org/2001/XMLSchema#decimal>`
          : `"${i % 97}"`;
    const g = i % 5 === 0 ? ' <http://example.org/inventory>' : '';
    patch.push(`A ${s} ${p} ${o}${g} .`);
    nquads.push(`${s} ${p} ${o}${g} .`);
  }
  return { patch: patch.join('\n') + '\n', nquads: nquads.join('\n') + '\n' };
}

async function best(n: number, run: () => Promise<number>): Promise<number> {
  const rates: number[] = [];
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint();
    const parsed = await run();
    if (parsed !== n) throw new Error(`parsed ${parsed} of ${n}`);
    rates.push(n / (Number(process.hrtime.bigint() - start) / 1e9));
  }
  return rates.sort((a, b) => a - b)[1]!;
}

export async function benchRdf(n = 1_000_000): Promise<void> {
  const { patch, nquads } = rows(n);
  const ours = await best(n, () => lastValueFrom(parseRdfPatch(patch).pipe(count())));
  const n3 = await best(
    n,
    () =>
      new Promise<number>((resolve, reject) => {
        let quads = 0;
        new Parser({ format: 'N-Quads' }).parse(nquads, (error, quad) => {
          if (error) reject(error);
          else if (quad) quads++;
          else resolve(quads);
        });
      }),
  );
  console.log(`### RDF: ${n.toLocaleString('en')} rows (median of 3)\n`);
  table(
    ['parser', 'changes/s', 'vs n3'],
    [
      ['n3 N-Quads parser (same quads)', fmtOps(n3), '×1.00'],
      ['parseRdfPatch', fmtOps(ours), `×${(ours / n3).toFixed(2)}`],
    ],
  );
}
