// Writes one JSON file per Jest run into $CI_TEST_RESULTS_DIR so the test command
// can print one summary line over every suite it ran. Does nothing when unset.
const fs = require('node:fs');
const path = require('node:path');

const strip = (s) => String(s).replace(/\x1b\[[0-9;]*m/g, '');

function failuresOf(results) {
  const out = [];
  for (const file of results.testResults) {
    const rel = path.relative(path.resolve(__dirname, '../..'), file.testFilePath);
    if (file.testExecError || (file.failureMessage && file.numFailingTests === 0)) {
      out.push({ test: `${rel} (suite did not run)`, message: firstLines(file.testExecError?.message ?? file.failureMessage) });
    }
    for (const t of file.testResults) {
      if (t.status === 'failed') out.push({ test: `${rel} › ${t.fullName}`, message: firstLines(t.failureMessages.join('\n')) });
    }
  }
  return out;
}

function firstLines(text) {
  return strip(text ?? '').split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== '').slice(0, 6).join('\n');
}

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
      // What failed, briefly, so the end of a long CI log still names it.
      failures: failuresOf(results),
    };
    const file = path.join(dir, `${name.replace(/[^a-zA-Z0-9-]/g, '_')}-${process.pid}-${Date.now()}.json`);
    fs.writeFileSync(file, JSON.stringify(out));
  }
}

module.exports = ResultsReporter;
