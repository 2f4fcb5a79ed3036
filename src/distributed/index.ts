/**
 * rxdaemon/bullmq: multiple-instance tasks and operations on BullMQ workers over Redis. `bullmq` and `ioredis` are optional peer dependencies of this entry point only.
 */
export { createBullTransport } from './transport.js';
export type {
  BullTransport,
  BullTransportOptions,
  OperationRunContext,
  RedisConnection,
  RemoteTask,
} from './transport.js';
export type { JobContext } from './job-id.js';
export { startWorker } from './worker.js';
export type {
  RunningWorker,
  StartWorkerOptions,
  WorkerEvent,
  WorkerHandler,
  WorkerHandlerContext,
} from './worker.js';
export {
  ConnectionLostError,
  NotSerializableError,
  RemoteTaskError,
  UnknownHandlerError,
} from './remote-error.js';
