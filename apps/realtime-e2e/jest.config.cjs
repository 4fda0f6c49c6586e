module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'realtime-e2e',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
