import type { PullIntake } from '../../operators/internal/index.js';

/** Where a lazy intake delivers: one input, the end, or a failure of the source itself. */
export interface IntakeTarget<I> {
  pulled(input: I): void;
  inputDone(): void;
  fail(error: unknown): void;
}

export interface ClosableIntake extends PullIntake {
  /** Stops the source early (calls the iterator's `return`). */
  close(): void;
}

/** A synchronous iterator, pulled one input per free slot. */
export function iteratorIntake<I>(iterator: Iterator<I>, target: IntakeTarget<I>): ClosableIntake {
  let done = false;
  return {
    pull: () => {
      let step: IteratorResult<I>;
      try {
        step = iterator.next();
      } catch (error) {
        done = true;
        return target.fail(error);
      }
      if (step.done) {
        done = true;
        target.inputDone();
      } else target.pulled(step.value);
    },
    close: () => {
      if (!done) {
        done = true;
        // Closing happens at teardown, after the outcome is out: a throwing return() has nowhere
        // left to go and must not surface as an uncaught UnsubscriptionError.
        try {
          iterator.return?.();
        } catch {
          /* contained */
        }
      }
    },
  };
}

/**
 * An async iterator with at most one `next()` outstanding: a free slot asks for one input, and only
 * when it arrives is the next one asked for, so memory stays O(concurrency) however long the source.
 */
export function asyncIteratorIntake<I>(iterator: AsyncIterator<I>, target: IntakeTarget<I>): ClosableIntake {
  let done = false;
  return {
    pull: () => {
      let next: Promise<IteratorResult<I>>;
      try {
        next = Promise.resolve(iterator.next());
      } catch (error) {
        done = true;
        return target.fail(error); // a next() that throws instead of rejecting
      }
      next.then(
        (step) => {
          if (done) return;
          if (step.done) {
            done = true;
            target.inputDone();
          } else target.pulled(step.value);
        },
        (error: unknown) => {
          if (done) return;
          done = true;
          target.fail(error);
        },
      );
    },
    close: () => {
      if (!done) {
        done = true;
        // A generator's return() may reject (or throw); nobody awaits it, so neither may go unhandled.
        try {
          Promise.resolve(iterator.return?.()).catch(() => undefined);
        } catch {
          /* contained */
        }
      }
    },
  };
}
