/**
 * The last `capacity` samples with their arrival times, kept sorted as they come and go (binary
 * search + one splice each), so percentiles and max are O(1) to read.
 */
export class SlidingWindow {
  private readonly samples: number[];
  private readonly arrivals: number[];
  private readonly sorted: number[] = [];
  private count = 0;

  constructor(private readonly capacity: number) {
    this.samples = new Array<number>(capacity);
    this.arrivals = new Array<number>(capacity);
  }

  /** Samples seen in all, evicted ones included. */
  get total(): number {
    return this.count;
  }

  get size(): number {
    return this.sorted.length;
  }

  add(sample: number, at: number): void {
    const slot = this.count % this.capacity;
    if (this.count >= this.capacity) this.sorted.splice(lowerBound(this.sorted, this.samples[slot]!), 1);
    this.samples[slot] = sample;
    this.arrivals[slot] = at;
    this.sorted.splice(lowerBound(this.sorted, sample), 0, sample);
    this.count++;
  }

  /** The nearest-rank percentile (0 < q ≤ 1) of the window; 0 when empty. */
  percentile(q: number): number {
    return nearestRank(this.sorted, q);
  }

  get max(): number {
    return this.sorted.length === 0 ? 0 : this.sorted[this.sorted.length - 1]!;
  }

  /** Samples per second between the oldest and the newest arrival in the window (0 below two samples). */
  ratePerSecond(now: number): number {
    if (this.sorted.length < 2) return 0;
    const oldest = this.arrivals[this.count >= this.capacity ? this.count % this.capacity : 0]!;
    return ((this.sorted.length - 1) * 1000) / Math.max(1, now - oldest);
  }
}

function lowerBound(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/**
 * The nearest-rank percentile (0 < q ≤ 1) of ascending `sorted` samples; 0 when there are none. The
 * one definition every latency figure uses (latencyStats, daemon metrics, the CLI summary).
 */
export function nearestRank(sorted: readonly number[], q: number): number {
  return sorted.length === 0 ? 0 : sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}
