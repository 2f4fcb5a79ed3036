import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/** The README's `ts` code blocks that are complete programs (they import what they use). */
function runnableBlocks(): string[] {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  return [...readme.matchAll(/```ts\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .filter((code) => code.includes('rxdaemon/testing'));
}

describe('README', () => {
  it('has a virtual-time example, and it runs', async () => {
    const blocks = runnableBlocks();
    expect(blocks.length).toBeGreaterThan(0);
    const dir = mkdtempSync(join(new URL('.', import.meta.url).pathname, '.readme-'));
    try {
      for (const [i, code] of blocks.entries()) {
        const file = join(dir, `block-${i}.ts`);
        writeFileSync(file, code);
        await expect(import(file)).resolves.toBeDefined();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
