import { Queue } from './queue.js';
import type { TaskOutput } from './task-output.js';
import { type RunHost, TaskRun } from './task-run.js';

/** Where a {@link Pool} reports what happens; `workerPool` turns these into PoolEvents, the MI engine into MIEvents. */
export interface PoolSink<I, R> {
  /** Once true, the pool starts nothing more. */
  readonly closed: boolean;
  admitted(index: number, input: I): void;
  started(run: TaskRun<I, R>): void;
  succeeded(run: TaskRun<I, R>, value: R): void;
  failed(run: TaskRun<I, R>, error: unknown): void;
  cancelled(index: number, input: I, wasRunning: boolean): void;
  inputClosed(total: number): void;
  /** Input closed and nothing runs or waits any more. */
  drained(): void;
}

/** A lazy source the pool pulls from when a slot is free; it answers with `admit` or `closeInput`. */
export interface PullIntake {
  pull(): void;
}

/**
 * The worker pool's machinery: a FIFO of waiting inputs, an intrusive list of running tasks, and a
 * drain loop that starts waiting inputs — or pulls new ones from a lazy intake — while slots are
 * free. O(1) per admission, start and finish; re-entrant calls fold into the running loop, so a
 * synchronous task never recurses.
 */
export class Pool<I, R> implements RunHost<I, R> {
  private readonly waiting = new Queue<I>();
  private running: TaskRun<I, R> | undefined;
  private runningCount = 0;
  private withdrawn: Set<number> | undefined;
  /** Indexes cancelled before they were admitted: each is withdrawn the moment it is. */
  private cancelOnAdmission: Set<number> | undefined;
  private admittedCount = 0;
  private dequeued = 0;
  /**
   * `open`: taking input. `closed`: the source ended; what waits or runs drains. `stopped`: a
   * decision stopped intake (waiting inputs withdrawn); what runs drains. `torn-down`: nothing runs.
   */
  private phase: 'open' | 'closed' | 'stopped' | 'torn-down' = 'open';
  /** Re-entrancy guards, not lifecycle: a pull in flight, a drain loop on the stack. */
  private pulling = false;
  private draining = false;
  private intake: PullIntake | undefined;

  constructor(
    private readonly task: (input: I, run: TaskRun<I, R>) => TaskOutput<R>,
    private readonly sink: PoolSink<I, R>,
    private limit: number,
  ) {}

  get waitingCount(): number {
    return this.waiting.length - (this.withdrawn?.size ?? 0);
  }

  get activeCount(): number {
    return this.runningCount;
  }

  /** Pull inputs from `intake` whenever a slot is free and nothing waits. */
  pullFrom(intake: PullIntake): void {
    this.intake = intake;
    this.drain();
  }

  admit(input: I): void {
    this.pulling = false;
    this.enqueue(input);
    this.drain();
  }

  /**
   * Admits every input of a source of known length at once (YAWL's static creation: every instance
   * exists, pending, before the first one starts), starts those that have a slot, then closes input.
   * `owned`: the pool may keep `inputs` as its queue instead of copying it.
   */
  admitAll(inputs: readonly I[], owned = false): void {
    const first = this.admittedCount;
    for (let i = 0; i < inputs.length; i++) {
      if (this.sink.closed) return;
      this.sink.admitted(first + i, inputs[i]!);
    }
    this.admittedCount += inputs.length;
    // One bulk append, not n pushes: a million-input array is a million-slot queue at once.
    this.waiting.append(inputs, owned);
    const early = this.cancelOnAdmission;
    if (early) {
      this.draining = true; // withdraw every early-cancelled input before any of them may start
      for (const index of early) {
        if (index >= this.admittedCount) continue;
        early.delete(index);
        this.cancel(index);
      }
      this.draining = false;
    }
    this.drain();
    this.closeInput();
  }

  private enqueue(input: I): void {
    const index = this.admittedCount++;
    this.sink.admitted(index, input);
    this.waiting.push(input);
    if (this.cancelOnAdmission?.delete(index)) this.cancel(index);
  }

  closeInput(): void {
    this.pulling = false;
    if (this.phase !== 'open') return;
    this.phase = 'closed';
    this.sink.inputClosed(this.admittedCount);
    this.drain();
  }

  setLimit(limit: number): void {
    this.limit = limit;
    this.drain();
  }

  /** Takes no more input: waiting inputs are withdrawn (`cancelled`), running tasks run on. */
  stopIntake(): void {
    const wasOpen = this.phase === 'open';
    this.phase = 'stopped';
    while (this.waiting.length > 0) {
      const input = this.waiting.shift();
      const index = this.dequeued++;
      if (!this.withdrawn?.delete(index)) this.sink.cancelled(index, input, false);
    }
    if (wasOpen) {
      this.pulling = false;
      this.sink.inputClosed(this.admittedCount);
      this.drain();
    }
  }

  /**
   * Cancels one input by index: a running task is torn down, a waiting input withdrawn, one not yet
   * admitted is withdrawn on admission. O(running) to find a running index: cancelling one instance
   * is rare next to finishing one.
   */
  cancel(index: number): void {
    if (index >= this.admittedCount) {
      if (this.phase === 'open') (this.cancelOnAdmission ??= new Set()).add(index);
      return;
    }
    let run = this.running;
    while (run !== undefined && run.index !== index) run = run.next;
    if (run) {
      run.cancel();
      this.unlink(run);
      this.sink.cancelled(index, run.input, true);
      this.drain();
    } else if (index >= this.dequeued && index < this.admittedCount && !this.withdrawn?.has(index)) {
      (this.withdrawn ??= new Set()).add(index);
      this.sink.cancelled(index, this.waiting.peekAt(index - this.dequeued), false);
      this.drain();
    }
  }

  succeeded(run: TaskRun<I, R>, value: R): void {
    this.unlink(run);
    this.sink.succeeded(run, value);
    this.drain();
  }

  failed(run: TaskRun<I, R>, error: unknown): void {
    this.unlink(run);
    this.sink.failed(run, error);
    this.drain();
  }

  /** Tears every running task down, reporting each as `cancelled`, oldest first. */
  cancelRunning(): void {
    const runs: TaskRun<I, R>[] = [];
    for (let run = this.running; run !== undefined; run = run.next) runs.push(run);
    for (let i = runs.length - 1; i >= 0; i--) {
      const run = runs[i]!;
      run.cancel();
      this.unlink(run);
      this.sink.cancelled(run.index, run.input, true);
    }
  }

  /** Tears every running task down (aborting their signals) and drops the waiting inputs, silently. */
  teardown(): void {
    let run = this.running;
    this.running = undefined;
    this.runningCount = 0;
    while (run !== undefined) {
      const next = run.next;
      run.cancel();
      run.previous = run.next = undefined;
      run = next;
    }
    this.waiting.clear();
    this.phase = 'torn-down';
  }

  private link(run: TaskRun<I, R>): void {
    run.next = this.running;
    if (this.running) this.running.previous = run;
    this.running = run;
    this.runningCount++;
  }

  private unlink(run: TaskRun<I, R>): void {
    if (run.previous) run.previous.next = run.next;
    else if (this.running === run) this.running = run.next;
    if (run.next) run.next.previous = run.previous;
    run.previous = run.next = undefined;
    this.runningCount--;
  }

  /** Starts waiting inputs (or pulls new ones) while slots are free. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    const { waiting, sink } = this;
    while (this.runningCount < this.limit && !sink.closed) {
      if (waiting.length > 0) {
        const input = waiting.shift();
        const index = this.dequeued++;
        if (this.withdrawn?.delete(index)) continue;
        const run = new TaskRun(index, input, this);
        this.link(run);
        sink.started(run);
        if (sink.closed) break; // the consumer decided on `started`: do not start a task it dropped
        if (run.settled) continue; // cancelled from inside its own `started` event: reported already
        run.start(this.task);
      } else if (this.intake && !this.pulling && this.phase === 'open') {
        this.pulling = true;
        this.intake.pull();
        if (this.pulling) break; // an asynchronous pull: it admits (and drains) when it resolves
      } else break;
    }
    this.draining = false;
    const ending = this.phase === 'closed' || this.phase === 'stopped';
    if (ending && this.runningCount === 0 && waiting.length === 0 && !sink.closed) sink.drained();
  }
}
