// Writes one JSON file per Jest run into $CI_TEST_RESULTS_DIR so the test command
// can print one summary line over every suite it ran. Does nothing when unset.
const fs = require('node:fs');
const path = require('node:path');

class ResultsReporter {
  constructor(globalConfig) {
    this.globalConfig = globalConfig;
  }

  onRunComplete(_contexts, results) {
    const dir = process.env.CI_TEST_RESULTS_DIR;
    if (!dir) return;
    fs.mkdirSync(dir, { recursive: true });
    // Nx names the task it runs; outside Nx, the project folder stands in.
    const root = this.globalConfig.rootDir || process.cwd();
    const project = process.env.NX_TASK_TARGET_PROJECT || path.relative(path.resolve(__dirname, '../..'), root).replace(/[\\/]/g, '_') || 'root';
    const target = process.env.NX_TASK_TARGET_TARGET || 'jest';
    const name = `${project}:${target}`;
    const suitesThatCrashed = results.testResults.filter((r) => r.testExecError || r.failureMessage && r.numFailingTests === 0).length;
    const out = {
      task: name,
      passed: results.numPassedTests,
      failed: results.numFailedTests + suitesThatCrashed,
      skipped: results.numPendingTests + results.numTodoTests,
      suites: results.numTotalTestSuites,
    };
    const file = path.join(dir, `${name.replace(/[^a-zA-Z0-9-]/g, '_')}-${process.pid}-${Date.now()}.json`);
    fs.writeFileSync(file, JSON.stringify(out));
  }
}

module.exports = ResultsReporter;
