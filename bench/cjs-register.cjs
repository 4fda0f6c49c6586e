// Lets Node run the workspace's TypeScript sources in place as CommonJS (so
// __dirname, require and decorators work as in the built apps): every .ts file
// outside node_modules is compiled by SWC on load with the same settings as
// tools/build.mjs, the @ci-connector/* path aliases resolved from
// tsconfig.base.json. No new dependency: @swc/core is already a devDependency.
//
//   node -r ./bench/cjs-register.cjs bench/<name>.bench.ts
const { transformSync } = require('@swc/core');
const { readFileSync } = require('node:fs');
const { swcOptions } = require('../tools/swc-options.cjs');

require.extensions['.ts'] = function compileTs(module, filename) {
  if (filename.includes('/node_modules/')) throw new Error(`cjs-register: refusing to compile ${filename}`);
  const { code } = transformSync(readFileSync(filename, 'utf8'), swcOptions({ filename, sourceMaps: 'inline' }));
  module._compile(code, filename);
};
