export {
  CancelledError,
  ConfigError,
  EmptyResultError,
  EngineError,
  TimeoutError,
} from '../operators/errors.js';
