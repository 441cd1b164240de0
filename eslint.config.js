// One lint config for src, test and bench. Formatting belongs to Prettier (.prettierrc.json).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const PORTABLE = 'src/core stays runtime-portable: inject it from src/node or src/workers.';

export default tseslint.config(
  { ignores: ['node_modules/', 'coverage/', 'dist/', '.wrangler/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
    },
  },
  {
    files: ['test/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Plain-Node consumers of the installed package, as a user writes them (package.test.ts).
    files: ['test/consumer/**/*.{mjs,cjs}'],
    languageOptions: {
      globals: { console: 'readonly', process: 'readonly', require: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            'ws',
            'undici',
            'socket.io',
            'socket.io-parser',
            'engine.io-parser',
            '@hono/node-server',
            'pino',
          ].map((name) => ({
            name,
            message: PORTABLE,
          })),
          patterns: [
            {
              group: ['node:*', 'cloudflare:*', 'socket.io/*', '@hono/node-server/*'],
              message: PORTABLE,
            },
          ],
        },
      ],
    },
  },
);
