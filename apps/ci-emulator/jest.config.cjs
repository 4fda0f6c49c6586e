module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'ci-emulator',
  rootDir: __dirname,
  // jose 6 is ESM-only: let SWC compile it to CommonJS for Jest (Node itself require()s it natively).
  transformIgnorePatterns: ['/node_modules/(?!jose/)'],
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
