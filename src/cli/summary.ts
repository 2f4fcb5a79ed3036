import { nearestRank } from '../../operators/internal/index.js';
import { describeError } from '../errors.js';
import type { MIDecidedEvent } from '../instances/mi-event.js';

/** The end-of-run report: counts by status, latency, throughput, and the receipts' Merkle root. */
export function summarize(
  decided: MIDecidedEvent<unknown>,
  elapsedMs: number,
  root: string,
  receipts: number,
): string {
  const { result } = decided;
  const byStatus = new Map<string, number>();
  for (const record of result.instances) byStatus.set(record.status, (byStatus.get(record.status) ?? 0) + 1);
  const durations = result.instances
    .filter((r) => r.startedAt !== undefined && r.endedAt !== undefined && r.status === 'succeeded')
    .map((r) => r.endedAt! - r.startedAt!)
    .sort((a, b) => a - b);
  const at = (q: number) => Math.round(nearestRank(durations, q));
  const finished = (byStatus.get('succeeded') ?? 0) + (byStatus.get('failed') ?? 0);
  // Why instances failed, most frequent first: counts alone do not say what to fix.
  const reasons = new Map<string, number>();
  for (const record of result.instances) {
    if (record.status !== 'failed') continue;
    const reason = describeError(record.error).split('\n')[0]!.slice(0, 200);
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  }
  const failures = [...reasons].sort((a, b) => b[1] - a[1]).map(([reason, n]) => `${n} × ${reason}`);
  return [
    `decision: ${result.status} (${result.reason})`,
    `instances: ${[...byStatus].map(([status, n]) => `${n} ${status}`).join(', ') || 'none'}`,
    ...(failures.length > 0 ? [`failures: ${failures.join('; ')}`] : []),
    ...(result.status === 'completed' || decided.cause === undefined
      ? []
      : [`why: ${describeError(decided.cause).split('\n')[0]!.slice(0, 200)}`]),
    `latency: p50 ${at(0.5)} ms, p99 ${at(0.99)} ms`,
    `throughput: ${Math.round((finished * 1000) / Math.max(1, elapsedMs))} instances/s over ${(elapsedMs / 1000).toFixed(2)} s`,
    `receipts: ${receipts}, Merkle root ${root}`,
  ].join('\n');
}
