// Resolves the workspace's @ci-connector/* path aliases (tsconfig.base.json
// "paths") to their TypeScript sources, so the benchmarks can run the libraries
// as they are with Node 24's --experimental-transform-types, no build step.
// Use together with bench/ts-resolve.mjs (extensionless relative imports):
//   node --experimental-transform-types --no-warnings \
//        --import ./bench/ts-resolve.mjs --import ./bench/ts-paths.mjs <bench>.ts
import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..');
const { compilerOptions } = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8'));
const aliases = new Map(Object.entries(compilerOptions.paths).map(([k, [v]]) => [k, pathToFileURL(join(root, v)).href]));

registerHooks({
  resolve(specifier, context, nextResolve) {
    const target = aliases.get(specifier);
    return nextResolve(target ?? specifier, context);
  },
});
