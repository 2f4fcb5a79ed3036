// Writes every `ts` block of README.md to readme-blocks/ so that `npm run typecheck` checks them
// (test/readme.test.ts runs them). Generated, not committed.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const blocks = [
  ...readFileSync(new URL('../README.md', import.meta.url), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g),
];
const dir = new URL('../readme-blocks/', import.meta.url);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir);
blocks.forEach((match, i) => writeFileSync(new URL(`block-${i + 1}.ts`, dir), match[1]));
