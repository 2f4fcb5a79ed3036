import { createDaemon } from './src/index.ts';
import { validateOperation } from './src/operations/config.ts';
const noop = (): Promise<number> => Promise.resolve(1);
const N = 100_000;
for (let round = 0; round < 5; round++) {
  const ops = Array.from({ length: N }, (_, i) => ({ id: `op-${round}-${i}`, run: noop }));
  const daemon = createDaemon({ maxConcurrent: 8 });
  daemon.start();
  let t0 = performance.now();
  for (const op of ops) validateOperation(op);
  const tv = performance.now() - t0;
  t0 = performance.now();
  for (const op of ops) daemon.schedule(op);
  const ts = performance.now() - t0;
  t0 = performance.now();
  for (const op of ops) daemon.unschedule(op.id);
  const tu = performance.now() - t0;
  console.log(`validate ${((tv * 1000) / N).toFixed(2)} µs, schedule ${((ts * 1000) / N).toFixed(2)} µs, unschedule ${((tu * 1000) / N).toFixed(2)} µs`);
  await daemon.stop();
}
