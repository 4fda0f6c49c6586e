// Lets Node run the workspace's TypeScript sources directly (no build step) for
// the examples. Two hooks do what the TypeScript compiler and Jest's SWC
// transform do:
//   - resolve: the @ci-connector/* path aliases of tsconfig.base.json
//     ("@ci-connector/sip" → libs/sip/stack/src/index.ts) and extensionless
//     relative imports ("./sip-stack" → "./sip-stack.ts", "./dir" → "./dir/index.ts");
//   - load: compiles each .ts file with SWC (the workspace's compiler). Node's own
//     type stripping is not enough here: it keeps imports of types that lack the
//     `type` keyword, which the sources (built with isolatedModules off) have.
// Usage (workspace root): node --import ./libs/sip/stack/examples/register.mjs <file.ts>
import { transformSync } from '@swc/core';
import { existsSync, readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(import.meta.dirname, '..', '..', '..', '..');
const { paths } = JSON.parse(readFileSync(join(root, 'tsconfig.base.json'), 'utf8')).compilerOptions;
const aliases = new Map(Object.entries(paths).map(([alias, [target]]) => [alias, pathToFileURL(join(root, target)).href]));

registerHooks({
  resolve(specifier, context, nextResolve) {
    const alias = aliases.get(specifier);
    if (alias) return nextResolve(alias, context);
    if ((specifier.startsWith('./') || specifier.startsWith('../')) && !/\.[cm]?[jt]s$/.test(specifier) && context.parentURL?.endsWith('.ts')) {
      for (const candidate of [`${specifier}.ts`, `${specifier}/index.ts`]) {
        const url = new URL(candidate, context.parentURL);
        if (existsSync(fileURLToPath(url))) return nextResolve(url.href, context);
      }
    }
    return nextResolve(specifier, context);
  },
  load(url, context, nextLoad) {
    if (!url.startsWith('file:') || !url.endsWith('.ts') || url.includes('/node_modules/')) return nextLoad(url, context);
    const filename = fileURLToPath(url);
    const { code } = transformSync(readFileSync(filename, 'utf8'), {
      filename,
      jsc: { parser: { syntax: 'typescript' }, target: 'es2023' },
      module: { type: 'es6' },
      sourceMaps: 'inline',
    });
    return { format: 'module', source: code, shortCircuit: true };
  },
});
