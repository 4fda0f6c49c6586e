// Shared Jest settings. TypeScript is compiled by SWC (fast, decorators with
// metadata for Nest); type checking is the separate `typecheck` target.
const path = require('node:path');
const fs = require('node:fs');

const tsPaths = JSON.parse(fs.readFileSync(path.join(__dirname, 'tsconfig.base.json'), 'utf8')).compilerOptions.paths;
const moduleNameMapper = {};
for (const [alias, [target]] of Object.entries(tsPaths)) {
  moduleNameMapper[`^${alias.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`] = path.join(__dirname, target);
}

module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2023',
        },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper,
  reporters: ['default', path.join(__dirname, 'tools/jest/results-reporter.cjs')],
  testTimeout: 20000,
};
