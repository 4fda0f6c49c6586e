// Integration tests: they talk to the real servers that deploy/local starts.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'realtime-e2e (integration)',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.int-spec.ts'],
  testTimeout: 120000,
};
