import nx from '@nx/eslint-plugin';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { builtinModules } from 'node:module';

const root = import.meta.dirname;

/** Roots of the projects whose project.json carries one of `tags`. */
function projectRootsTagged(tags) {
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
      const sub = join(dir, entry.name);
      const pj = join(sub, 'project.json');
      if (existsSync(pj)) {
        const projectTags = JSON.parse(readFileSync(pj, 'utf8')).tags ?? [];
        if (projectTags.some((t) => tags.includes(t))) found.push(relative(root, sub));
      }
      walk(sub);
    }
  };
  for (const top of ['libs', 'apps', 'tools']) if (existsSync(join(root, top))) walk(join(root, top));
  return found;
}

// Node's network modules: domain libraries do no I/O (ARCHITECTURE.md, "Libraries").
const nodeNetworkModules = ['net', 'dgram', 'tls', 'dns', 'http', 'https', 'http2'].flatMap((m) => [m, `node:${m}`]);
// The outside world's clients: only adapters, Nest modules and apps may use them.
const ioClients = ['@nestjs/*', 'ioredis', 'kafkajs', 'rtpengine-client', '@azure/msal-node', 'express', ...nodeNetworkModules];
// Code that runs in the browser (libs/cif-widget): no Node module at all, no server library.
const nodeModules = builtinModules.filter((m) => !m.startsWith('_')).flatMap((m) => (m.startsWith('node:') ? [m] : [m, `node:${m}`]));
const serverLibs = [...ioClients.filter((m) => !nodeNetworkModules.includes(m)), 'pino', 'zod', '@opentelemetry/*', '@grpc/*'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  ...nx.configs['flat/javascript'],
  { ignores: ['**/dist', '**/node_modules', '.tools', '.local', '.nx', 'tmp'] },
  {
    files: ['**/*.ts', '**/*.js', '**/*.cjs', '**/*.mjs'],
    rules: {
      'no-empty': ['error', { allowEmptyCatch: false }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: true,
          allow: [],
          depConstraints: [
            // Pure logic: only other pure logic and contracts, no framework, no I/O client.
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain', 'type:contract'], bannedExternalImports: ioClients },
            { sourceTag: 'type:contract', onlyDependOnLibsWithTags: ['type:contract'], bannedExternalImports: ioClients },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:contract'], bannedExternalImports: ['@nestjs/*', 'ioredis', 'kafkajs', 'rtpengine-client'] },
            { sourceTag: 'type:adapter', onlyDependOnLibsWithTags: ['type:domain', 'type:contract', 'type:util', 'type:adapter', 'type:testing'], bannedExternalImports: ['@nestjs/*'] },
            { sourceTag: 'type:nest', onlyDependOnLibsWithTags: ['type:domain', 'type:contract', 'type:util', 'type:adapter', 'type:nest', 'type:testing'] },
            { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:domain', 'type:contract', 'type:util', 'type:adapter', 'type:nest', 'type:testing'] },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:domain', 'type:contract', 'type:util', 'type:adapter', 'type:nest', 'type:testing'] },
            { sourceTag: 'type:tooling', onlyDependOnLibsWithTags: ['type:util', 'type:contract', 'type:testing', 'type:tooling'] },
            // Its specs may use the test helpers; its code may not (the rule below).
            { sourceTag: 'type:browser', onlyDependOnLibsWithTags: ['type:browser', 'type:testing'], bannedExternalImports: serverLibs },
          ],
        },
      ],
    },
  },
  {
    // Tests may assert presence with `!` after checking it.
    files: ['**/*.spec.ts', '**/*.int-spec.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // `bannedExternalImports` does not see Node built-ins (they are not in the
    // project graph), so domain and contract code also gets the core rule.
    files: projectRootsTagged(['type:domain', 'type:contract']).map((r) => `${r}/**/*.ts`),
    ignores: ['**/*.spec.ts', '**/*.int-spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ioClients.filter((m) => !m.includes('*')).map((name) => ({ name, message: 'domain and contract libraries do no I/O: use an adapter library' })),
          patterns: [{ group: ['@nestjs/*'], message: 'domain and contract libraries import no framework' }],
        },
      ],
    },
  },
  {
    // Browser code: Node built-ins are not in the project graph, so the core rule refuses
    // them, and the test helpers (specs run under Jest in Node and may use both).
    files: projectRootsTagged(['type:browser']).map((r) => `${r}/**/*.ts`),
    ignores: ['**/*.spec.ts', '**/*.int-spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...nodeModules, ...serverLibs.filter((m) => !m.includes('*'))].map((name) => ({ name, message: 'browser code (type:browser) imports no Node module and no server library' })),
          patterns: [{ group: ['node:*', '@nestjs/*', '@opentelemetry/*', '@grpc/*', '@ci-connector/*-testing'], message: 'browser code (type:browser) imports no Node module, no server library and no test helper' }],
        },
      ],
    },
  },
];
