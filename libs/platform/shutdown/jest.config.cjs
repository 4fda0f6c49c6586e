module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'platform-shutdown',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
