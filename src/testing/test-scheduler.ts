import { deepStrictEqual } from 'node:assert/strict';
import { TestScheduler } from 'rxjs/testing';

/**
 * A fresh rxjs `TestScheduler` whose marble assertions deep-compare with `node:assert` unless
 * you pass your own (e.g. `(a, e) => expect(a).toEqual(e)` in vitest). Use one per test, in
 * `run` mode: 1 frame = 1 ms, and every scheduler-based operator runs in virtual time.
 */
export function testScheduler(
  assert: (actual: unknown, expected: unknown) => void = (actual, expected) =>
    deepStrictEqual(actual, expected),
): TestScheduler {
  return new TestScheduler(assert);
}
