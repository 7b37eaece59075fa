import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', '.data/', '.jest-cache/', 'coverage/', 'schema/generated/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // Off: type-graphql reads classes from decorator metadata, which `import type` would erase.
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-console': 'off',
    },
  },
  {
    // Layers (docs/architecture.md): no import cycles, and src/db below the GraphQL framework.
    files: ['src/**/*.ts', 'db/**/*.ts', 'scripts/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json', '.node'] })],
    },
    rules: {
      'import-x/no-cycle': 'error',
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './src/db',
              from: ['./src/graphql', './src/modules', './src/http', './src/resources'],
              message: 'src/db is below the GraphQL layer: move what it needs down (e.g. to src/errors.ts).',
            },
            {
              target: './src/resources',
              from: ['./src/modules', './src/http'],
              message: 'src/resources is the framework the modules use: it knows no module.',
            },
            { target: './src/db', from: './db', message: 'src/db takes the migrations from its caller.' },
            {
              target: './src/blobs',
              from: ['./src/graphql', './src/modules', './src/http', './src/resources', './db'],
              message: 'src/blobs stores bytes and knows nothing of requests or the GraphQL layer: its callers do.',
            },
          ],
        },
      ],
    },
  },
  {
    // A resolver is a leaf: only its module's index.ts lists it; shared pieces live in a file of their own.
    files: ['src/**/*.ts'],
    ignores: ['src/modules/*/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/*.resolver'], message: 'Move what you need out of the resolver file.' }] },
      ],
    },
  },
  {
    files: ['src/errors.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['*'], message: 'src/errors.ts imports nothing, so every layer can use it.' }] },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly', __dirname: 'readonly' },
    },
  },
);
