export * from '../operators/index.js';
