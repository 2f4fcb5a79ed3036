import { describeError, EngineError } from '../errors.js';
export { NotSerializableError } from '../receipts/canonical-json.js';

/** A task failed on a worker: the worker-side error's name, message and `code`, carried back as a value. */
export class RemoteTaskError extends EngineError {
  override readonly code: string;

  constructor(
    readonly remoteName: string,
    message: string,
    code: string | undefined,
  ) {
    super(message);
    this.name = remoteName;
    this.code = code ?? 'REMOTE_TASK_FAILED';
  }
}

/** A job named a handler the worker does not have (an own property of its handlers only). */
export class UnknownHandlerError extends EngineError {
  override readonly code = 'UNKNOWN_HANDLER' as const;

  constructor(readonly handler: string) {
    super(`No handler named ${JSON.stringify(handler)} on this worker`);
  }
}

/**
 * Redis could not be reached (or was lost) for longer than the transport's bound, or a job vanished
 * from it while the connection was down (a Redis restarted without persistence).
 */
export class ConnectionLostError extends EngineError {
  override readonly code = 'CONNECTION_LOST' as const;

  constructor(
    readonly afterMs: number,
    detail = `Redis unreachable for ${afterMs} ms`,
  ) {
    super(detail);
  }
}

/** The worker's side: an error as the JSON a job's `failedReason` carries. */
export function encodeError(error: unknown): string {
  const { name, code } = (error instanceof Error ? error : {}) as { name?: unknown; code?: unknown };
  return JSON.stringify({
    name: typeof name === 'string' ? name : 'Error',
    message: describeError(error),
    ...(typeof code === 'string' ? { code } : {}),
  });
}

/** The transport's side: a `failedReason` back into an Error; BullMQ's own reasons (a stall) too. */
export function decodeError(failedReason: string): RemoteTaskError {
  try {
    const parsed = JSON.parse(failedReason) as { name?: unknown; message?: unknown; code?: unknown };
    if (typeof parsed.message === 'string') {
      return new RemoteTaskError(
        typeof parsed.name === 'string' ? parsed.name : 'Error',
        parsed.message,
        typeof parsed.code === 'string' ? parsed.code : undefined,
      );
    }
  } catch {
    /* not ours: BullMQ's own reason */
  }
  return new RemoteTaskError('Error', failedReason, undefined);
}
