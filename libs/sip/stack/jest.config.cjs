module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'sip',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
