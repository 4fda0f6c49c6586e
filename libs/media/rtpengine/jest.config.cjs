module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'rtpengine',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
