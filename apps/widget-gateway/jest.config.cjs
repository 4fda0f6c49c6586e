module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'widget-gateway',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
