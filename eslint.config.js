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
    files: ['.dependency-cruiser.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable' } },
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
    // engine.io-parser and socket.io-parser are plain JavaScript with no runtime imports (Workers
    // bundles them too), so the core's runtime-free Socket.IO server (transport/socketio.ts) may use
    // them; socket.io itself is Node's.
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['ws', 'undici', 'socket.io', '@hono/node-server', 'pino'].map((name) => ({
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
