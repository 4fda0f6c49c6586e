// Lets Node run the workspace's TypeScript sources directly (no build, no extra
// dependency): Node 24 transforms the types itself (--experimental-transform-types)
// and this hook resolves the extensionless relative imports the sources use
// ("./headers" → "./headers.ts"), as the TypeScript compiler does.
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

registerHooks({
  resolve(specifier, context, nextResolve) {
    if ((specifier.startsWith('./') || specifier.startsWith('../')) && !/\.[cm]?[jt]s$/.test(specifier) && context.parentURL?.endsWith('.ts')) {
      const url = new URL(`${specifier}.ts`, context.parentURL);
      if (existsSync(fileURLToPath(url))) return nextResolve(url.href, context);
    }
    return nextResolve(specifier, context);
  },
});
