module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'call-events',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
