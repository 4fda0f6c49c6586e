module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'sip-transport',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
