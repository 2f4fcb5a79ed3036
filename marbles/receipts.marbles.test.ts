import { map } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  createReceiptLog,
  GENESIS_HASH,
  NotSerializableError,
  receipts,
  verifyProof,
} from 'rxdaemon';
import { marbleScheduler } from './helpers.js';

describe('receipts (operator)', () => {
  it('appends each value to the log and emits its receipt, chained, in order', () => {
    const log = createReceiptLog();
    marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const values = cold('-a--b-|', { a: { n: 1 }, b: { n: 2 } });
      const chained = values.pipe(
        receipts(log),
        map(({ seq, prevHash, record }) => ({ seq, first: prevHash === GENESIS_HASH, record })),
      );
      expectObservable(chained).toBe('-r--s-|', {
        r: { seq: 0, first: true, record: { n: 1 } },
        s: { seq: 1, first: false, record: { n: 2 } },
      });
      expectSubscriptions(values.subscriptions).toBe('^-----!');
    });
    expect(log.size).toBe(2);
    expect(log.entries()[1]!.prevHash).toBe(log.entries()[0]!.hash);
    expect(verifyProof(log.proof(1))).toBe(true);
  });

  it('records what toRecord makes of a value; unsubscribing stops the appends', () => {
    const log = createReceiptLog();
    marbleScheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const values = cold('-a-b-c-|', { a: 1, b: 2, c: 3 });
      const seqs = values.pipe(
        receipts(log, (n: number) => ({ square: n * n })),
        map((receipt) => receipt.seq),
      );
      expectObservable(seqs, '^---!').toBe('-x-y', { x: 0, y: 1 });
      expectSubscriptions(values.subscriptions).toBe('^---!');
    });
    expect(log.entries().map((r) => r.record)).toEqual([{ square: 1 }, { square: 4 }]);
  });

  it('a value JSON cannot carry errors the stream, naming its path; bad arguments are a ConfigError', () => {
    const log = createReceiptLog();
    marbleScheduler().run(({ cold, expectObservable }) => {
      const values = cold('-a-b-|', { a: { ok: true }, b: { at: () => 1 } });
      expectObservable(
        values.pipe(
          receipts(log),
          map((r) => r.seq),
        ),
      ).toBe('-x-#', { x: 0 }, new NotSerializableError('record.at', 'a function'));
    });
    expect(log.size).toBe(1); // nothing of the bad value was appended
    expect(() => receipts(undefined as never)).toThrow(ConfigError);
    expect(() => receipts(log, 5 as never)).toThrow(/toRecord: must be a function/);
  });
});
