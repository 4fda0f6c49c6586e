module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'media-srtp',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
