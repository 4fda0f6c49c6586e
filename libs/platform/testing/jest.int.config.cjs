// Integration tests: they talk to the real servers and tools that deploy/local installs.
module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'platform-testing (integration)',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.int-spec.ts'],
  testTimeout: 120000,
};
