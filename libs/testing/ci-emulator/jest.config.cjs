module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'ci-emulator-testing',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
