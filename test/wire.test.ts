import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { carefulWire, toWire } from '../src/server/wire.js';

/** Values with the things only the careful path writes right, anywhere inside plain data. */
const special = fc.oneof(
  fc.bigInt(),
  fc.string().map((message) => new Error(message)),
  fc.constant(new AbortController().signal),
  fc.constant(() => 1),
  fc.constant(Symbol('s')),
  fc.constant({ toJSON: () => new RangeError('from toJSON') }),
  fc.date({ noInvalidDate: true }),
);
const anything = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 2 }),
    special,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 4 }),
  ),
})).value;

describe('toWire', () => {
  it('writes plain JSON as JSON.stringify does', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(toWire(value)).toBe(JSON.stringify(value));
      }),
    );
  });

  it('writes anything as the careful replacer does, fast path or not', () => {
    fc.assert(
      fc.property(anything, (value) => {
        expect(toWire(value)).toBe(carefulWire(value));
      }),
    );
  });

  it('writes errors without their stack, bigints, cycles and deep nesting', () => {
    const cycle: Record<string, unknown> = { n: 1n };
    cycle.self = cycle;
    let deep: unknown = 'bottom';
    for (let i = 0; i < 200; i++) deep = [deep];
    expect(JSON.parse(toWire({ error: new TypeError('bad'), cycle }))).toEqual({
      error: { name: 'TypeError', message: 'bad' },
      cycle: { n: '1', self: '[Circular]' },
    });
    expect(toWire(deep)).toBe(JSON.stringify(deep));
    expect(toWire(new Error('top'))).not.toContain('at ');
  });

  it('describes a value whose getter throws instead of throwing', () => {
    const value = {
      get broken(): never {
        throw new Error('getter');
      },
    };
    expect(JSON.parse(toWire(value))).toEqual({ unserializable: 'getter' });
  });
});
