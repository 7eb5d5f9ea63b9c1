/** Jest runs TypeScript ESM through swc; see docs/DEVELOPMENT.md. */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } }],
  },
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  setupFiles: ['<rootDir>/test/helpers/realm.ts'],
  // Chromium and spawned-CLI files get a wider guard than testTimeout; the file's Chromium is closed after it.
  setupFilesAfterEnv: ['<rootDir>/test/helpers/per-file.ts'],
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // Slowest files first, also in a clean clone without Jest's cache of past times.
  testSequencer: '<rootDir>/test/sequencer.js',
  // A guard against a hung test or hook, not a speed check (test/helpers/timeouts.ts).
  testTimeout: 120_000,
  // Two files at a time: each worker has its own PostgreSQL database (test/helpers/db.ts).
  maxWorkers: 2,
  // In-memory PGlite instances and Chromium clients grow a worker past 2 GB over a run; a fresh one is cheaper than its GC.
  workerIdleMemoryLimit: '1500MB',
};
