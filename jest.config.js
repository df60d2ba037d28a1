/** One jest run over every package: unit tests beside the code (src/**\/*.test.ts), integration tests in test/. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/packages', '<rootDir>/test'],
  testMatch: ['**/src/**/*.test.ts', '**/test/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/', '/fixtures/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }],
  },
  testTimeout: 120000,
  // Concurrent tests (the conformance matrix) each start real flow runs: 3 at a time suits 2 cores.
  maxConcurrency: 3,
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
};
