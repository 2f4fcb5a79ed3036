import type { SchedulerLike } from 'rxjs';
import type { Daemon } from '../operations/daemon.js';
import type { BridgeEvent, TaskHandler } from './bridge-types.js';
import type { YawlEngine } from './engine.js';
import type { TaskSlots } from './task-slots.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** What the bridge's pieces (task runner, retry, deferred choice, MI task, distribution) share. */
export interface BridgeContext {
  readonly daemon: Daemon;
  readonly engine: YawlEngine;
  readonly scheduler: SchedulerLike;
  /** The daemon operation the handlers run under. */
  readonly operationId: string;
  readonly slots: TaskSlots;
  /** The handler of a task: an own property of `handlers` only, never one from the prototype. */
  handlerOf(taskId: string): TaskHandler | undefined;
  emit(event: DistributiveOmit<BridgeEvent, 'at'>): void;
}

/** Own properties only: a task named `toString` or `constructor` has no handler unless given one. */
export function ownHandler(
  handlers: Readonly<Record<string, TaskHandler>>,
  taskId: string,
): TaskHandler | undefined {
  return Object.hasOwn(handlers, taskId) ? handlers[taskId] : undefined;
}
