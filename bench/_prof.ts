import { lastValueFrom } from 'rxjs';
import { runMultipleInstance, toMIResult } from 'rxdaemon';
const noop = (): Promise<number> => Promise.resolve(1);
for (let k = 0; k < 3; k++) {
  const n = 1_000_000;
  const t0 = performance.now();
  await lastValueFrom(runMultipleInstance(n, { taskId: 'bench', run: noop, concurrency: 256, keep: 'summary' }).pipe(toMIResult()));
  console.log(((performance.now() - t0) * 1e6 / n).toFixed(0), 'ns/op');
}
