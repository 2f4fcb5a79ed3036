/**
 * A threshold multiple-instance task: ask five suppliers for a quote, done after the first three
 * answers; the two slower requests are cancelled (their AbortSignals aborted) at that moment.
 * Run with `npm start`.
 */
import { from } from 'rxjs';
import { completeWhen, type PoolEvent, type DecidedEvent, threshold, workerPool } from 'rxdaemon/operators';

interface Supplier {
  readonly name: string;
  readonly answersAfterMs: number;
  readonly price: number;
}

const suppliers: Supplier[] = [
  { name: 'acme', answersAfterMs: 120, price: 410 },
  { name: 'globex', answersAfterMs: 40, price: 395 },
  { name: 'initech', answersAfterMs: 300, price: 380 },
  { name: 'umbrella', answersAfterMs: 80, price: 420 },
  { name: 'hooli', answersAfterMs: 500, price: 370 },
];

/** A quote request that honours its AbortSignal, like `fetch` does. */
function requestQuote(supplier: Supplier, signal: AbortSignal): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => resolve(supplier.price), supplier.answersAfterMs);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    });
  });
}

const fate = new Map<string, string>();
const started = performance.now();
const ms = (): string => `${Math.round(performance.now() - started)} ms`.padStart(7);

from(suppliers)
  .pipe(
    workerPool(
      (supplier: Supplier, { signal }) => {
        signal.addEventListener('abort', () => fate.set(supplier.name, `cancelled at ${ms()}`));
        return requestQuote(supplier, signal);
      },
      { concurrency: 5 },
    ),
    completeWhen(threshold(3)),
  )
  .subscribe((event: PoolEvent<Supplier, number> | DecidedEvent) => {
    if (event.type === 'succeeded') fate.set(event.input.name, `quoted ${event.value} at ${ms()}`);
    if (event.type === 'failed') fate.set(event.input.name, `failed at ${ms()}: ${String(event.error)}`);
    if (event.type === 'decided') {
      console.log(`decided ${event.status} (${event.reason}) at ${ms()}`);
      console.log(`counters: ${JSON.stringify(event.counters)}`);
    }
  })
  .add(() => {
    for (const supplier of suppliers)
      console.log(`  ${supplier.name.padEnd(9)} ${fate.get(supplier.name) ?? 'never ran'}`);
  });
