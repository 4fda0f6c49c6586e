module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'platform-kafka',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
