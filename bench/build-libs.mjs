// Bench-local build: compiles the libraries' TypeScript (not the specs) with SWC,
// the way tools/build.mjs builds the apps (CommonJS, ES2023, decorators, the
// @ci-connector/* path aliases rewritten to relative requires), into a temporary
// directory outside the workspace, so a benchmark runs the same JavaScript the
// apps ship. No new dependency: @swc/core is already a devDependency.
//
//   import { buildLibs } from './build-libs.mjs';
//   const { dir, require, cleanup } = await buildLibs(['libs/sip']);
//   const { createSipStack } = require('libs/sip/stack/src/index.js');
//
// Run alone (`node bench/build-libs.mjs`) it builds libs/sip and prints the directory.
import { transformFile } from '@swc/core';
import swc from '../tools/swc-options.cjs';
const { swcOptions } = swc;
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

const root = join(import.meta.dirname, '..');

async function* sources(dir) {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'test-support' && !e.name.startsWith('__')) yield* sources(p);
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') && !/\.(int-|fuzz\.)?spec\.ts$/.test(e.name)) {
      yield p;
    }
  }
}

/** Compiles every library folder given (relative to the workspace root) into one temporary tree. */
export async function buildLibs(folders = ['libs/sip']) {
  const out = await mkdtemp(join(tmpdir(), 'ci-bench-build-'));
  let files = 0;
  for (const folder of folders) {
    for await (const file of sources(join(root, folder))) {
      const rel = relative(root, file);
      const { code } = await transformFile(file, swcOptions({ sourceMaps: false }));
      const dest = join(out, rel.replace(/\.ts$/, '.js'));
      await mkdir(dirname(dest), { recursive: true });
      await writeFile(dest, code);
      files++;
    }
  }
  const req = createRequire(join(out, 'index.js'));
  return {
    dir: out,
    files,
    require: (rel) => req(join(out, rel)),
    cleanup: () => rm(out, { recursive: true, force: true }),
  };
}

if (process.argv[1] === import.meta.filename) {
  const b = await buildLibs(process.argv.slice(2).length ? process.argv.slice(2) : ['libs/sip']);
  console.log(`${b.files} files -> ${b.dir}`);
}
