import { EngineError } from '../operators/errors.js';
import type { MIResult } from './instances/mi-result.js';

export {
  CancelledError,
  ConfigError,
  EmptyResultError,
  EngineError,
  TimeoutError,
} from '../operators/errors.js';

/** A multiple-instance task decided `failed` or was cancelled; `result` is the partial result. */
export class MIFailedError<R = unknown> extends EngineError {
  override readonly code = 'MI_FAILED' as const;

  constructor(
    readonly result: MIResult<R>,
    options?: { cause?: unknown },
  ) {
    super(`Multiple-instance task ${result.taskId} ${result.status}: ${result.reason}`, options);
  }
}

/** Fewer instances than `minInstances` were admitted before input closed. */
export class MinInstancesError extends EngineError {
  override readonly code = 'MIN_INSTANCES' as const;

  constructor(
    readonly required: number,
    readonly admitted: number,
  ) {
    super(`At least ${required} instances are required; input closed after ${admitted}`);
  }
}

/** The input holds more instances than `maxInstances` allows. */
export class MaxInstancesError extends EngineError {
  override readonly code = 'MAX_INSTANCES' as const;

  constructor(
    readonly limit: number,
    readonly offered: number,
  ) {
    super(`At most ${limit} instances are allowed; the input offered ${offered}`);
  }
}

/** An Observable source outran the pool by more than `maxBuffered` waiting inputs. */
export class BackpressureError extends EngineError {
  override readonly code = 'BACKPRESSURE' as const;

  constructor(readonly maxBuffered: number) {
    super(`More than ${maxBuffered} inputs were waiting for a slot: the source outruns the pool`);
  }
}

/** `execute` or `unschedule` named an operation the daemon does not have. */
export class UnknownOperationError extends EngineError {
  override readonly code = 'UNKNOWN_OPERATION' as const;

  constructor(readonly operationId: string) {
    super(`No operation ${JSON.stringify(operationId)} is scheduled`);
  }
}

/** `schedule` was given an id already in use. */
export class DuplicateOperationError extends EngineError {
  override readonly code = 'DUPLICATE_OPERATION' as const;

  constructor(readonly operationId: string) {
    super(`An operation ${JSON.stringify(operationId)} is already scheduled; unschedule it first`);
  }
}

/** The daemon was asked to run something while it is not started (or is stopping). */
export class DaemonNotRunningError extends EngineError {
  override readonly code = 'DAEMON_NOT_RUNNING' as const;

  constructor(
    readonly daemonId: string,
    readonly state: string,
  ) {
    super(`Daemon ${JSON.stringify(daemonId)} is ${state}: call start() first`);
  }
}

/** An API key was missing where one is required, or did not match any known key. */
export class AuthError extends EngineError {
  override readonly code = 'AUTH_FAILED' as const;

  constructor(readonly reason: 'missing' | 'invalid') {
    super(reason === 'missing' ? 'An API key is required' : 'The API key is not valid');
  }
}

/** A caller went over its rate limit; `retryAfterMs` says when a token will be available. */
export class RateLimitError extends EngineError {
  override readonly code = 'RATE_LIMITED' as const;

  constructor(
    readonly key: string,
    readonly retryAfterMs: number,
  ) {
    super(`Rate limit exceeded for ${JSON.stringify(key)}; retry after ${retryAfterMs} ms`);
  }
}

/** A value meant as an identifier looks like an injection attempt (or is not an identifier). */
export class InjectionError extends EngineError {
  override readonly code = 'INJECTION_DETECTED' as const;

  constructor(
    readonly value: string,
    readonly threats: readonly string[],
  ) {
    super(
      `Unsafe identifier ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value)}: ${threats.join(', ')}`,
    );
  }
}

/**
 * A one-line description of anything thrown or rejected, safe on every value: `String()` throws for
 * an object without a prototype (`Object.create(null)`) or with a throwing `toString`.
 */
export function describeError(error: unknown): string {
  try {
    if (error instanceof Error)
      return typeof error.message === 'string' ? error.message : String(error.message);
    return String(error);
  } catch {
    return Object.prototype.toString.call(error);
  }
}

/** What an error says about itself to the outside — name, message, code — never its stack. */
export function errorSummary(error: unknown): { name: string; message: string; code?: string } {
  const message = describeError(error);
  if (!(error instanceof Error)) return { name: 'Error', message };
  const code = (error as { code?: unknown }).code;
  return { name: String(error.name), message, ...(typeof code === 'string' ? { code } : {}) };
}
