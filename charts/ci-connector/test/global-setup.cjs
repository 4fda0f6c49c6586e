// Makes sure the pinned helm is built (charts/tools/ensure-helm.sh builds it from
// the Go module proxy the first time, a few minutes) and hands its path to the tests.
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async function globalSetup() {
  const script = join(__dirname, '../../tools/ensure-helm.sh');
  const helm = execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  process.env.CHARTS_HELM_BIN = helm;
};
