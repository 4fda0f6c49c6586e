// The chart's checks: helm lint, helm template per region, every rendered object
// validated against its Kubernetes schema (kubernetes-models), and the assertions
// that matter. Helm is built once by charts/tools/ensure-helm.sh (global setup).
const preset = require('../../jest.preset.cjs');

// kubernetes-models, its CRD companions and is-cidr ship ES modules only
// ("exports" with an "import" condition): resolve that condition
// (test/esm-resolver.cjs) and compile them like our code.
const esmOnly = ['kubernetes-models', '@kubernetes-models', 'is-cidr', 'cidr-regex'];

module.exports = {
  ...preset,
  displayName: 'charts',
  rootDir: __dirname,
  testMatch: ['<rootDir>/test/**/*.spec.ts'],
  globalSetup: '<rootDir>/test/global-setup.cjs',
  resolver: '<rootDir>/test/esm-resolver.cjs',
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  transform: {
    ...preset.transform,
    '^.+\\.m?js$': preset.transform['^.+\\.[tj]s$'],
  },
  // Each test runs helm a few times; building helm (first run) is in the global setup, untimed.
  testTimeout: 60000,
};
