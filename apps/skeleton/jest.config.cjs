module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'skeleton',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
