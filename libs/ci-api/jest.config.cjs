module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'ci-api',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
