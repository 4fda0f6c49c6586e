module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'recording-policy',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
