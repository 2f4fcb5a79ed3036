// A consumer project's ESM side: every entry point loads from the packed package.
import * as root from 'rxdaemon';
import * as operators from 'rxdaemon/operators';
import * as testing from 'rxdaemon/testing';
import * as bullmq from 'rxdaemon/bullmq';
import * as server from 'rxdaemon/server';

const checks = {
  'rxdaemon.runMultipleInstance': typeof root.runMultipleInstance === 'function',
  'rxdaemon/operators.workerPool': typeof operators.workerPool === 'function',
  'rxdaemon/testing.testScheduler': typeof testing.testScheduler === 'function',
  'rxdaemon/bullmq.createBullTransport': typeof bullmq.createBullTransport === 'function',
  'rxdaemon/server.createServer': typeof server.createServer === 'function',
};
const failed = Object.entries(checks).filter(([, ok]) => !ok);
if (failed.length > 0) throw new Error(`missing: ${failed.map(([name]) => name).join(', ')}`);
console.log('ESM: every entry point loads');
