/** How `distributeAndSplitTasks` assigns tasks to named worker slots. */
export type DistributionStrategy = 'round-robin' | 'least-loaded' | 'hash';

/** FNV-1a, 32 bits: a stable hash, so the same key always lands on the same slot. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

/** Named worker slots with their current load; `assign` picks one, `release` gives it back. */
export class WorkerSlots {
  private readonly load: Map<string, number>;
  private turn = 0;

  constructor(readonly workers: readonly string[]) {
    this.load = new Map(workers.map((w) => [w, 0]));
  }

  assign(strategy: DistributionStrategy, key: string): string {
    const { workers } = this;
    let worker: string;
    if (strategy === 'round-robin') worker = workers[this.turn++ % workers.length]!;
    else if (strategy === 'hash') worker = workers[fnv1a(key) % workers.length]!;
    else worker = workers.reduce((best, w) => (this.load.get(w)! < this.load.get(best)! ? w : best));
    this.load.set(worker, this.load.get(worker)! + 1);
    return worker;
  }

  release(worker: string): void {
    this.load.set(worker, Math.max(0, (this.load.get(worker) ?? 0) - 1));
  }
}
