import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** Every `ts` code block of the README, each a complete program. */
const blocks = [
  ...readFileSync(new URL('../README.md', import.meta.url), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g),
].map((m) => m[1]!);

describe('README', () => {
  it('has runnable examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
  });

  it.each(
    blocks.map((code, i) => [
      i + 1,
      code.split('\n').find((l) => l.startsWith('import {') && l.includes("'rxdaemon")) ?? '',
      code,
    ]),
  )('block %i runs (%s)', async (index, _imports, code) => {
    const dir = mkdtempSync(join(new URL('.', import.meta.url).pathname, '.readme-'));
    try {
      const file = join(dir, `block-${index}.ts`);
      writeFileSync(file, code as string);
      await expect(import(file)).resolves.toBeDefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
