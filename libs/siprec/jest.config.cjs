module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'siprec',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
