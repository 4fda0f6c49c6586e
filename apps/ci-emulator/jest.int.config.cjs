// Integration tests: they talk to the real servers that deploy/local starts.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'ci-emulator (integration)',
  rootDir: __dirname,
  // jose 6 is ESM-only: let SWC compile it to CommonJS for Jest (Node itself require()s it natively).
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  testMatch: ['<rootDir>/src/**/*.int-spec.ts'],
  testTimeout: 120000,
};
