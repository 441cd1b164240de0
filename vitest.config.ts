import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  // Tests import the package by name and run its sources (as tsconfig.json's `paths` type-check
  // them); what npm ships, built, is tested by test/node/package.test.ts.
  resolve: {
    alias: [
      { find: /^sse2ws$/, replacement: source('./src/node/index.ts') },
      { find: /^sse2ws\/client$/, replacement: source('./src/client/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
