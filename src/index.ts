export * from '../operators/index.js';
export { BackpressureError, MaxInstancesError, MIFailedError, MinInstancesError } from './errors.js';
export * from './instances/index.js';
