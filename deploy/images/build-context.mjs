#!/usr/bin/env node
// Writes the image context of each app: from its build (dist/<app>, `nx run <app>:build`:
// a tree of CommonJS files that import packages from node_modules), only the files the
// app really loads, traced with @vercel/nft from its two entry points (instrumentation.js,
// main.js), plus the source maps of our own files (the image runs with
// --enable-source-maps) and what images.json adds for code nft cannot follow.
//
//   node deploy/images/build-context.mjs [<app>...]     (default: every app of images.json)
//
// Output, for each app, under ${CI_CONNECTOR_WORK:-.local}/images/:
//   <app>/           the context: apps/<app>/src/..., libs/..., node_modules/... (becomes /app)
//   <app>.digest     sha256 over the context's paths, modes and contents (the image's reuse key)
//   <app>.files      the files, one a line, with their size
import { nodeFileTrace } from '@vercel/nft';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const work = resolve(process.env.CI_CONNECTOR_WORK ?? join(root, '.local'));
const outDir = join(work, 'images');
const config = JSON.parse(readFileSync(join(import.meta.dirname, 'images.json'), 'utf8'));
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const version = rootPackage.version;

function fail(message) {
  process.stderr.write(`build-context: ${message}\n`);
  process.exit(1);
}

/** Turns a glob of images.json (only `*` within a segment and `**` across them) into a RegExp. */
function globRegExp(glob) {
  const re = glob
    .split('**')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*'))
    .join('.*');
  return new RegExp(`^${re}$`);
}

/** Where a traced file goes in the context: dist/<app>/X -> X, node_modules/... stays. */
function contextPath(app, file) {
  const distPrefix = `dist/${app}/`;
  if (file.startsWith(distPrefix)) return file.slice(distPrefix.length);
  if (file.startsWith('node_modules/')) return file;
  return undefined;
}

async function buildContext(app) {
  const started = Date.now();
  const spec = config.apps[app];
  const dist = join(root, 'dist', app);
  const entries = ['instrumentation.js', 'main.js'].map((f) => join(dist, 'apps', app, 'src', f));
  for (const e of entries) {
    if (!existsSync(e)) fail(`${relative(root, e)} is missing: build the app first (nx run ${app}:build)`);
  }
  const extraEntries = (spec.trace ?? []).map((f) => join(root, f));
  const assets = (spec.assets ?? []).map((f) => join(root, f));
  for (const f of [...extraEntries, ...assets]) {
    if (!existsSync(f)) fail(`images.json names ${relative(root, f)} for ${app}, but it does not exist (npm ci?)`);
  }
  const excluded = (spec.exclude ?? []).map(globRegExp);

  const { fileList, warnings } = await nodeFileTrace([...entries, ...extraEntries], {
    base: root,
    cache: traceCache,
    processCwd: dist,
    ignore: (p) => excluded.some((re) => re.test(p)),
  });

  const files = new Set();
  const outside = [];
  for (const f of fileList) {
    // The repository's package.json (the package scope of dist/): the context gets its own, below.
    if (f === 'package.json') continue;
    if (contextPath(app, f) === undefined) outside.push(f);
    else files.add(f);
  }
  if (outside.length > 0) fail(`${app} loads files outside dist/${app} and node_modules: ${outside.slice(0, 5).join(', ')}`);
  for (const f of assets) files.add(relative(root, f));
  // The source maps of our compiled files (the dist tree only: node_modules' own maps are not worth their size).
  for (const f of [...files]) {
    if (f.startsWith(`dist/${app}/`) && f.endsWith('.js') && existsSync(join(root, `${f}.map`))) files.add(`${f}.map`);
  }

  const target = join(outDir, app);
  const staging = `${target}.partial`;
  await rm(staging, { recursive: true, force: true });
  const digest = createHash('sha256');
  const listing = [];
  let bytes = 0;
  const perPackage = new Map();
  const record = (rel, mode, content) => {
    digest.update([rel, mode.toString(8), createHash('sha256').update(content).digest('hex')].join('\0') + '\n');
    bytes += content.length;
    listing.push(`${content.length}\t${rel}`);
    const pkg = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(rel)?.[1] ?? '(our code)';
    perPackage.set(pkg, (perPackage.get(pkg) ?? 0) + content.length);
  };
  for (const f of [...files].sort()) {
    const src = await realpath(join(root, f));
    const st = await stat(src);
    if (!st.isFile()) continue; // directories nft lists for symlinked packages
    const rel = contextPath(app, f);
    const dest = join(staging, rel);
    await mkdir(dirname(dest), { recursive: true });
    await copyFile(src, dest);
    // Read-only for everyone but root; executables stay executable.
    const mode = st.mode & 0o111 ? 0o755 : 0o644;
    await chmod(dest, mode);
    record(rel, mode, await readFile(src));
  }
  // /app/package.json: the scope of our files (CommonJS, as tools/build.mjs emits them) and the version.
  const manifest = `${JSON.stringify({ name: `@ci-connector/${app}`, version, private: true, type: 'commonjs', license: rootPackage.license }, null, 2)}\n`;
  await writeFile(join(staging, 'package.json'), manifest);
  record('package.json', 0o644, Buffer.from(manifest));
  await rm(target, { recursive: true, force: true });
  await rename(staging, target);
  const hex = digest.digest('hex');
  await writeFile(`${target}.digest`, `${hex}\n`);
  await writeFile(`${target}.files`, `${listing.join('\n')}\n`);

  const mb = (n) => (n / 1048576).toFixed(1);
  const biggest = [...perPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([p, n]) => `${p} ${mb(n)}`).join(', ');
  // Optional packages the code tries and does without (Nest's transports and validators, ws' native helpers):
  // named in one line. Anything else nft could not follow is printed whole.
  const unresolved = new Set();
  const notes = [];
  for (const w of warnings) {
    const missing = /^Failed to resolve dependency "([^"]+)"/.exec(w.message)?.[1];
    // One of our own relative imports missing: the build is incomplete (or being rebuilt right now).
    if (missing?.startsWith('.')) fail(`${app}: ${w.message.replace(/\s+/g, ' ')}: dist/${app} is incomplete; build it again (nx run ${app}:build)`);
    if (missing) unresolved.add(missing);
    else if (!/^Failed to parse .*\/LICENSE as /.test(w.message)) notes.push(w.message.replace(/\s+/g, ' '));
  }
  console.log(`build-context: ${app}: ${listing.length} files, ${mb(bytes)} MB in ${Date.now() - started} ms -> ${relative(root, target)} (largest: ${biggest})`);
  if (unresolved.size > 0) console.log(`build-context: ${app}: not installed, so not in the image (optional): ${[...unresolved].sort().join(', ')}`);
  for (const n of notes) console.log(`build-context: ${app}: nft: ${n}`);
}

// Shared by the apps' traces: most of node_modules is common to all of them.
const traceCache = {};
const requested = process.argv.slice(2);
const apps = requested.length > 0 ? requested : Object.keys(config.apps);
for (const app of apps) {
  if (!config.apps[app]) fail(`unknown app "${app}": images.json lists ${Object.keys(config.apps).join(', ')}`);
}
await mkdir(outDir, { recursive: true });
for (const app of apps) await buildContext(app);
