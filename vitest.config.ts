import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests import the package by its public names, as users do, and run against the sources.
    alias: [
      { find: /^rxdaemon\/operators$/, replacement: here('./operators/index.ts') },
      { find: /^rxdaemon\/testing$/, replacement: here('./src/testing/index.ts') },
      { find: /^rxdaemon\/bullmq$/, replacement: here('./src/distributed/index.ts') },
      { find: /^rxdaemon\/server$/, replacement: here('./src/server/index.ts') },
      { find: /^rxdaemon$/, replacement: here('./src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'marbles/**/*.test.ts'],
    testTimeout: 30_000,
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ['default', ['json', { outputFile: '.vitest-results.json' }]],
  },
});
