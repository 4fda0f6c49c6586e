// The one SWC configuration the workspace compiles its TypeScript with for Node:
// CommonJS, ES2023, legacy decorators with metadata (Nest's DI needs it; esbuild
// cannot emit it), and the @ci-connector/* path aliases of tsconfig.base.json
// rewritten to relative requires. Used by tools/build.mjs (the apps),
// bench/build-libs.mjs and bench/cjs-register.cjs (the benchmarks).
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8'));

/** SWC options for one file; `extra` adds or overrides top-level options (sourceMaps, filename, …). */
function swcOptions(extra = {}) {
  return {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2023',
      baseUrl: root,
      paths: compilerOptions.paths,
    },
    module: { type: 'commonjs' },
    ...extra,
  };
}

module.exports = { swcOptions, workspaceRoot: root };
