// Integration tests: they build the images and run them with podman against the
// real servers that deploy/local starts.
module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'images (integration)',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.int-spec.ts'],
  testTimeout: 120000,
};
