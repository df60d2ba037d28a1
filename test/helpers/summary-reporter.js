const { relative } = require('node:path');

/** The suite's time budget: CI's hard limit is 90 minutes, and the backends to come each add a context. */
const WARN_MINUTES = 30;
const FAIL_MINUTES = 60;

/**
 * Ends every jest run with the suite's wall time, its ten slowest test files, and the one line CI reads:
 * `tests: N passed, N failed`. A suite past FAIL_MINUTES counts as one more failed test, so a change that
 * makes it too slow cannot land unnoticed.
 */
class SummaryReporter {
  constructor(globalConfig) {
    this.rootDir = globalConfig.rootDir;
  }

  onRunStart() {
    this.started = Date.now();
  }

  onRunComplete(_contexts, results) {
    const seconds = (Date.now() - this.started) / 1000;
    const slowest = results.testResults
      .map((file) => ({ seconds: (file.perfStats.end - file.perfStats.start) / 1000, path: relative(this.rootDir, file.testFilePath) }))
      .sort((a, b) => b.seconds - a.seconds)
      .slice(0, 10);
    const out = (line) => process.stdout.write(`${line}\n`);
    out('\nslowest test files:');
    for (const file of slowest) out(`${file.seconds.toFixed(1).padStart(8)} s  ${file.path}`);
    out(`suite wall time: ${(seconds / 60).toFixed(1)} min (${seconds.toFixed(0)} s; budget: warn past ${WARN_MINUTES} min, fail past ${FAIL_MINUTES} min)`);
    let failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    if (seconds > FAIL_MINUTES * 60) {
      out(`FAILED: the suite took ${(seconds / 60).toFixed(1)} min, past its ${FAIL_MINUTES}-minute budget (CI stops at 90). Make the slowest files above faster, or move a scale case to the bench (\`npm run bench\`), before adding more.`);
      failed += 1;
    } else if (seconds > WARN_MINUTES * 60) {
      out(`WARNING: the suite took ${(seconds / 60).toFixed(1)} min, past ${WARN_MINUTES} min; at ${FAIL_MINUTES} it fails. The slowest files above are where to look.`);
    }
    out(`tests: ${results.numPassedTests} passed, ${failed} failed`);
  }
}
module.exports = SummaryReporter;
