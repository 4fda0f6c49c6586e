import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

// The rule needs Nx's project graph; `nx show projects` computes and caches it,
// as `nx lint` does before ESLint runs.
const repo = join(__dirname, '../../..');
const bin = (name: string) => join(repo, 'node_modules/.bin', name);

interface EslintFileResult {
  filePath: string;
  messages: { ruleId: string | null; severity: number; message: string }[];
}

function lint(files: string[]): Map<string, EslintFileResult['messages']> {
  const r = spawnSync(bin('eslint'), ['--format', 'json', '--no-warn-ignored', ...files.map((f) => join('tools/lint-fixtures/domain/src', f))], { cwd: repo, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false' } });
  if (!r.stdout) throw new Error(`eslint printed nothing (exit ${r.status}): ${r.stderr}`);
  const results = JSON.parse(r.stdout) as EslintFileResult[];
  return new Map(results.map((x) => [x.filePath.split('/').pop()!, x.messages]));
}

describe('module boundaries (lint)', () => {
  beforeAll(() => {
    execFileSync(bin('nx'), ['show', 'projects'], { cwd: repo, env: { ...process.env, NX_DAEMON: 'false' }, stdio: 'pipe' });
  });

  const boundary = (msgs: EslintFileResult['messages'] | undefined) => (msgs ?? []).filter((m) => m.severity === 2).map((m) => `${m.ruleId}: ${m.message}`);

  it('passes a domain library that does no I/O', () => {
    expect(boundary(lint(['clean.ts', 'index.ts']).get('clean.ts'))).toEqual([]);
  });

  it('fails a domain library that imports ioredis, kafkajs or @nestjs/*, naming the import', () => {
    const results = lint(['imports-ioredis.ts', 'imports-kafkajs.ts', 'imports-nest.ts']);
    expect(boundary(results.get('imports-ioredis.ts'))).toContain('@nx/enforce-module-boundaries: A project tagged with "type:domain" is not allowed to import "ioredis"');
    expect(boundary(results.get('imports-kafkajs.ts'))).toContain('@nx/enforce-module-boundaries: A project tagged with "type:domain" is not allowed to import "kafkajs"');
    expect(boundary(results.get('imports-nest.ts'))).toContain('@nx/enforce-module-boundaries: A project tagged with "type:domain" is not allowed to import "@nestjs/common"');
  });

  it("fails a domain library that imports node's network modules", () => {
    expect(boundary(lint(['imports-net.ts']).get('imports-net.ts'))).toEqual([
      "no-restricted-imports: 'node:net' import is restricted from being used. domain and contract libraries do no I/O: use an adapter library",
    ]);
  });

  it('fails a domain library that imports an adapter library', () => {
    expect(boundary(lint(['imports-adapter-lib.ts']).get('imports-adapter-lib.ts'))).toEqual([
      '@nx/enforce-module-boundaries: A project tagged with "type:domain" can only depend on libs tagged with "type:domain", "type:contract"',
    ]);
  });

  it('makes `eslint` exit non-zero on such a library', () => {
    const r = spawnSync(bin('eslint'), ['tools/lint-fixtures/domain/src/imports-ioredis.ts'], { cwd: repo, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('is not allowed to import "ioredis"');
  });
});
