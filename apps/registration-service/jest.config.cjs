module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'registration-service',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
