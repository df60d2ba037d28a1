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
  // Two files at once on 2 cores: most test files wait on the processes they start, so the conformance
  // matrix (CPU-bound) runs in one worker while the other files take turns in the second.
  maxWorkers: 2,
  testSequencer: '<rootDir>/test/helpers/sequencer.js',
  // Concurrent tests (the conformance matrix) each start real flow runs: 3 at a time suits 2 cores.
  maxConcurrency: 3,
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
};
