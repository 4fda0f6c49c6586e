// Integration tests: real sockets on 127.0.0.1 and the real rtpengine binary (installed by deploy/local).
module.exports = {
  ...require('../../../jest.preset.cjs'),
  displayName: 'platform-observability (integration)',
  rootDir: __dirname,
  testMatch: ['<rootDir>/src/**/*.int-spec.ts'],
  testTimeout: 60000,
};
