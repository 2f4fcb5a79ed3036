// A strict TypeScript consumer (no skipLibCheck): the published types of every entry point check.
import {
  createDaemon,
  parseRdfPatch,
  runMultipleInstance,
  threshold,
  toMIResult,
  type RdfChange,
} from 'rxdaemon';
import { workerPool } from 'rxdaemon/operators';
import { poolScenario, testScheduler } from 'rxdaemon/testing';
import { createBullTransport } from 'rxdaemon/bullmq';
import { createServer, type ServerOptions } from 'rxdaemon/server';

const daemon = createDaemon({ maxConcurrent: 2 });
const changes = parseRdfPatch('A <http://e/s> <http://e/p> "o" .\n');
changes.subscribe((change: RdfChange) => console.log(change.op, change.quad.subject.value));
const result = runMultipleInstance([1, 2, 3], {
  taskId: 't',
  concurrency: 2,
  run: (n: number) => n * 2,
  completion: threshold(2),
}).pipe(toMIResult());
const serverOptions: ServerOptions = {
  daemon,
  auth: { mode: 'required', authenticate: () => ({ authenticated: false, keyHash: undefined }) },
};
export const server = createServer(serverOptions);
export { daemon, result, workerPool, poolScenario, testScheduler, createBullTransport };
