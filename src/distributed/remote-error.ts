import { describeError, EngineError } from '../errors.js';

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

/** A task's input (or a run's payload) that does not survive JSON, the form a job's data takes. */
export class NotSerializableError extends EngineError {
  override readonly code = 'NOT_SERIALIZABLE' as const;

  constructor(
    readonly path: string,
    what: string,
  ) {
    super(
      `${path} is ${what}: a job's input must be JSON (null, booleans, finite numbers, strings, arrays, plain objects)`,
    );
  }
}

/** @throws NotSerializableError naming the first part of `value` that JSON would lose or refuse */
export function assertJson(value: unknown, path: string, seen = new Set<object>()): void {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new NotSerializableError(path, String(value));
    return;
  }
  if (typeof value !== 'object') throw new NotSerializableError(path, `a ${typeof value}`);
  if (seen.has(value)) throw new NotSerializableError(path, 'a cycle');
  const proto = Object.getPrototypeOf(value) as unknown;
  const array = Array.isArray(value);
  if (!array && proto !== Object.prototype && proto !== null) {
    throw new NotSerializableError(path, `a ${value.constructor?.name ?? 'class'} instance`);
  }
  seen.add(value);
  if (array) value.forEach((item: unknown, i) => assertJson(item, `${path}[${i}]`, seen));
  else {
    // An undefined property is left out by JSON, as an optional field would be: allowed.
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) assertJson(item, `${path}.${key}`, seen);
    }
  }
  seen.delete(value);
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
