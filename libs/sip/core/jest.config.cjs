module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'sip-core',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
