module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'policy-sync-worker',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
};
