// Integration checks of the workspace's own scripts (deploy/local/stack.sh).
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'workspace-checks (integration)',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.int-spec.ts'],
  testTimeout: 120000,
};
