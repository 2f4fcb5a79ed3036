// A consumer project's CommonJS side (Node >= 20.19 loads ESM with require): every entry point
// loads, receipts hash at once (before the WASM hasher is ready) and agree with the WASM digests,
// and the testing entry works without fast-check until an arbitrary is asked for.
const assert = require('node:assert/strict');
const root = require('rxdaemon');
const operators = require('rxdaemon/operators');
const testing = require('rxdaemon/testing');
const bullmq = require('rxdaemon/bullmq');
const server = require('rxdaemon/server');

assert.equal(typeof operators.workerPool, 'function');
assert.equal(typeof bullmq.createBullTransport, 'function');
assert.equal(typeof server.createServer, 'function');
const rootOf = () => {
  const log = root.createReceiptLog();
  for (let i = 0; i < 5; i++) log.append({ i, note: 'receipt' });
  return log.root();
};
const early = rootOf();
assert.equal(typeof testing.virtualClock('2026-01-01T00:00:00Z').now(), 'number');
assert.throws(
  () => testing.poolScenario(),
  (error) => error.code === 'CONFIG_INVALID' && /fast-check/.test(error.message),
);
setTimeout(() => {
  assert.equal(rootOf(), early, 'the synchronous and the WASM BLAKE3 give the same root');
  console.log('CommonJS: every entry point loads; receipts hash at once; testing loads without fast-check');
}, 100);
