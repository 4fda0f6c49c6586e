#!/usr/bin/env node
// Builds the widget SDK for the browser: one minified ES module
// (dist/cif-widget/cif-widget.min.js, with its source map) bundled by esbuild, and
// its type declarations (cif-widget.min.d.ts, re-exporting types/). Prints the size
// and fails when the bundle is over 15 KB minified and gzipped (issue 7).
// Usage: node libs/cif-widget/scripts/build.mjs [--outdir <dir>] [--no-types]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const LIMIT_BYTES = 15 * 1024;
const root = resolve(import.meta.dirname, '../../..');
const lib = join(root, 'libs/cif-widget');
const args = process.argv.slice(2);
const outIdx = args.indexOf('--outdir');
const out = outIdx >= 0 && args[outIdx + 1] ? resolve(args[outIdx + 1]) : join(root, 'dist/cif-widget');
const types = !args.includes('--no-types');

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const outfile = join(out, 'cif-widget.min.js');
await build({
  entryPoints: [join(lib, 'src/index.ts')],
  outfile,
  bundle: true,
  format: 'esm',
  // Node modules cannot resolve here: the build fails if anything pulls one in.
  platform: 'browser',
  target: ['es2020', 'chrome100', 'edge100', 'firefox100', 'safari15'],
  minify: true,
  sourcemap: true,
  legalComments: 'none',
  tsconfig: join(lib, 'tsconfig.lib.json'),
  logLevel: 'warning',
});

if (types) {
  const tsc = join(root, 'node_modules/.bin/tsc');
  const r = spawnSync(tsc, ['-p', join(lib, 'tsconfig.lib.json'), '--declaration', '--emitDeclarationOnly', '--outDir', join(out, 'types')], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error('cif-widget: tsc could not emit the type declarations');
    process.exit(1);
  }
  await writeFile(join(out, 'cif-widget.min.d.ts'), "export * from './types/index';\n");
}

const code = await readFile(outfile);
const gz = gzipSync(code, { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`cif-widget: ${relative(root, outfile)}: ${kb(code.length)} minified, ${kb(gz)} gzipped (limit ${kb(LIMIT_BYTES)})`);
if (gz > LIMIT_BYTES) {
  console.error(`cif-widget: the bundle is ${kb(gz)} gzipped, over the ${kb(LIMIT_BYTES)} limit`);
  process.exit(1);
}
