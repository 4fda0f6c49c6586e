#!/usr/bin/env node
// Builds an app for Node: every TypeScript file of the app and of the libraries
// it may import is compiled by SWC (decorators with metadata, which Nest's DI
// needs and esbuild cannot emit) into dist/<app>/, keeping the tree, with the
// @ci-connector/* path aliases rewritten to relative imports.
// Usage: node tools/build.mjs <app-name>
import { transformFile } from '@swc/core';
import swc from './swc-options.cjs';
import { copyFile, mkdir, readdir, writeFile, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');
const app = process.argv[2];
if (!app || !/^[a-z0-9-]+$/.test(app)) {
  console.error('usage: node tools/build.mjs <app-name>');
  process.exit(2);
}
const appRoot = join(root, 'apps', app);
const { swcOptions } = swc;
const out = join(root, 'dist', app);

// Data files the code reads at run time next to itself (schemas, protos) are copied as they are.
const ASSETS = /\.(xsd|proto)$/;

async function* sources(dir) {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') yield* sources(p);
    } else if ((e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !/\.(int-)?spec\.ts$/.test(e.name)) || ASSETS.test(e.name)) {
      yield p;
    }
  }
}

const started = Date.now();
await rm(out, { recursive: true, force: true });
let n = 0;
for (const top of [join(appRoot, 'src'), join(root, 'libs')]) {
  for await (const file of sources(top)) {
    const rel = relative(root, file);
    if (ASSETS.test(file)) {
      await mkdir(dirname(join(out, rel)), { recursive: true });
      await copyFile(file, join(out, rel));
      n++;
      continue;
    }
    const { code, map } = await transformFile(file, swcOptions({ sourceMaps: true, sourceFileName: relative(dirname(join(out, rel)), file) }));
    const dest = join(out, rel.replace(/\.ts$/, '.js'));
    await mkdir(dirname(dest), { recursive: true });
    await writeFile(dest, `${code}\n//# sourceMappingURL=${dest.split('/').pop()}.map\n`);
    if (map) await writeFile(`${dest}.map`, map);
    n++;
  }
}
console.log(`build: ${app}: ${n} files in ${Date.now() - started} ms -> ${relative(root, out)}/apps/${app}/src/main.js`);
