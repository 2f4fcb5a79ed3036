import type { DaemonConfig, Operation } from '../operations/types.js';
import type { YawlEngine } from '../yawl/engine.js';
import { loadModule } from './load-module.js';
import { UsageError } from './usage-error.js';

/** What `run` and `serve` take from a module: its operations, the daemon's config, a YAWL engine. */
export interface DaemonModule {
  readonly operations: Operation[];
  readonly daemon: DaemonConfig;
  readonly engine: YawlEngine | undefined;
}

type Exports = { operations?: Operation[]; daemon?: DaemonConfig; engine?: YawlEngine };

/**
 * Loads a module that exports `operations` (an array), optionally `daemon` (createDaemon's config)
 * and `engine` (a YAWL engine), or a default export of them.
 * @throws UsageError when it has no operations array
 */
export async function loadDaemonModule(path: string): Promise<DaemonModule> {
  const module = (await loadModule(path, 'module')) as Exports & { default?: Exports };
  const operations = module.operations ?? module.default?.operations;
  if (!Array.isArray(operations))
    throw new UsageError(`${path} must export "operations" (an array of operations)`);
  return {
    operations,
    daemon: module.daemon ?? module.default?.daemon ?? {},
    engine: module.engine ?? module.default?.engine,
  };
}
