#!/usr/bin/env node
// The installed command runs the compiled CLI (`npm pack` builds dist/). In a clone of the
// repository, `npm start` or `npx tsx --conditions=rxdaemon-source src/cli/main.ts <command>` runs
// the TypeScript sources directly.
import { existsSync } from 'node:fs';

const built = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(built)) {
  console.error(
    'rxdaemon: not built yet; run "npm run build", or "npx tsx --conditions=rxdaemon-source src/cli/main.ts"',
  );
  process.exit(2);
}
await import(built.href);
