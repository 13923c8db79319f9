// ESLint (flat config) with typescript-eslint. Import boundaries are checked by
// dependency-cruiser (.dependency-cruiser.cjs), which `npm run lint` runs after ESLint.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // bench/postgraphile installs on first use of the GraphQL bench (PostGraphile 5 needs Node 22's
  // packages, which the project's install must not pull): checked with its own tsconfig then.
  { ignores: ['**/node_modules/**', '**/.fluxbase/**', '**/dist/**', 'coverage/**', '.dependency-cruiser.cjs', 'bench/postgraphile/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', performance: 'readonly', fetch: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-imports': ['error', { patterns: [{ group: ['**/*.js'], message: 'Import TypeScript sources with their .ts extension.' }] }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['packages/server/src/db/**', 'packages/server/src/query/**'],
    rules: { 'no-restricted-imports': ['error', { paths: ['fastify', 'find-my-way'], patterns: [{ group: ['**/http/**', '**/http'], message: 'db/ and query/ sit below http/.' }] }] },
  },
  {
    files: ['packages/server/bin/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
);
