import {
  createDaemon,
  createMemoryYawlEngine,
  type TaskHandler,
  type WorkflowDefinition,
  YawlBridge,
} from 'rxdaemon';

/** A memory engine over `workflows`, a started daemon, and a bridge running `handlers` on it. */
export function bridgeWith(workflows: WorkflowDefinition[], handlers: Readonly<Record<string, TaskHandler>>) {
  const engine = createMemoryYawlEngine({ workflows });
  const daemon = createDaemon();
  daemon.start();
  const bridge = new YawlBridge({ daemon, engine, handlers });
  return { engine, daemon, bridge };
}
