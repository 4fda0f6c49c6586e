module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'platform-redis',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
