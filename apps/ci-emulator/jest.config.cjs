module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'ci-emulator',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
