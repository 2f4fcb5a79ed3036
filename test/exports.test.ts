import { describe, expect, it } from 'vitest';
import * as root from 'rxdaemon';
import * as operators from 'rxdaemon/operators';

describe('package exports', () => {
  it('the root re-exports every operator export, the same binding', () => {
    for (const [name, value] of Object.entries(operators)) {
      expect((root as Record<string, unknown>)[name], name).toBe(value);
    }
  });
});
