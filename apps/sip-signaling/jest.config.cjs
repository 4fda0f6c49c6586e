module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'sip-signaling',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
