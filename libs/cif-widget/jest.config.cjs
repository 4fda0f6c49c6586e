module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'cif-widget',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
