/**
 * The errors operators raise. Every one carries a literal `code` so callers can switch on it
 * without `instanceof` across package copies. `src/errors.ts` re-exports these and adds the
 * engine's own.
 */

/** Base of every error rxdaemon raises on purpose. */
export class EngineError extends Error {
  readonly code: string = 'ENGINE_ERROR';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A configuration object failed validation; `fields` names every offending field. */
export class ConfigError extends EngineError {
  override readonly code = 'CONFIG_INVALID' as const;

  constructor(
    readonly subject: string,
    readonly fields: readonly string[],
    details: readonly string[],
  ) {
    super(`Invalid ${subject}: ${details.join('; ')}`);
  }
}

/** The reason an AbortSignal is aborted with when its work is torn down before it settled. */
export class CancelledError extends EngineError {
  override readonly code = 'CANCELLED' as const;

  constructor(message = 'Cancelled: the subscription was torn down before the task settled') {
    // A cancellation is routine, not a bug: its stack says only "teardown", and capturing one costs
    // ~5 µs, paid by every instance a threshold cancels. So none is captured.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      super(message);
    } finally {
      Error.stackTraceLimit = limit;
    }
  }
}

/** An attempt did not complete within its time limit. */
export class TimeoutError extends EngineError {
  override readonly code = 'TIMEOUT' as const;

  constructor(readonly timeoutMs: number) {
    super(`Timed out after ${timeoutMs} ms`);
  }
}

/** A task completed without emitting a value, so it has no result. */
export class EmptyResultError extends EngineError {
  override readonly code = 'EMPTY_RESULT' as const;

  constructor() {
    super('The task completed without emitting a value');
  }
}
