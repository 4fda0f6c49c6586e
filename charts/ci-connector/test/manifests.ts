import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const CHART_DIR = resolve(__dirname, '..');
export const REPO_ROOT = resolve(CHART_DIR, '../..');

/** A rendered Kubernetes object (the fields the checks read; the rest stays unknown). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

/** The helm the global setup built (charts/tools/ensure-helm.sh), else the one in .tools. */
export function helmBin(): string {
  const bin = process.env['CHARTS_HELM_BIN'] ?? join(REPO_ROOT, '.tools/bin/helm');
  if (!existsSync(bin)) throw new Error(`helm not found at ${bin}: run bash charts/tools/ensure-helm.sh`);
  return bin;
}

export interface HelmRun {
  ok: boolean;
  stdout: string;
  stderr: string;
}

// None of the machine's helm config, cache or repositories (the chart has no
// dependencies): lint and template write nothing there.
const helmHome = join(tmpdir(), 'charts-helm-home-unused');

export function helm(args: string[], cwd = REPO_ROOT): HelmRun {
  const r = spawnSync(helmBin(), args, {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, HELM_CONFIG_HOME: join(helmHome, 'config'), HELM_CACHE_HOME: join(helmHome, 'cache'), HELM_DATA_HOME: join(helmHome, 'data') },
  });
  if (r.error) throw r.error;
  return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr };
}

/** `helm template <release> <chart> -f … --set …`: the objects, or the error helm printed. */
export function template(opts: { release?: string; chart?: string; values?: string[]; set?: string[]; setJson?: string[] } = {}): HelmRun & { objects: KubeObject[] } {
  const args = ['template', opts.release ?? 'ci-connector', opts.chart ?? CHART_DIR, '--namespace', 'ci-connector'];
  for (const f of opts.values ?? []) args.push('-f', f);
  for (const s of opts.set ?? []) args.push('--set', s);
  for (const s of opts.setJson ?? []) args.push('--set-json', s);
  const run = helm(args);
  return { ...run, objects: run.ok ? parseManifests(run.stdout) : [] };
}

/**
 * helm's output as objects: a YAML stream of documents separated by `---`,
 * some empty (a template that rendered nothing) or only comments (`# Source:`).
 * A document that does not parse, or is not a Kubernetes object, is an error.
 */
export function parseManifests(text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  for (const doc of parseAllDocuments(text, { prettyErrors: true })) {
    if (doc.errors.length > 0) throw new Error(`helm output does not parse as YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value: unknown = doc.toJS({ maxAliasCount: 0 });
    if (value === null || value === undefined) continue;
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error(`helm output has a document that is not an object: ${JSON.stringify(value).slice(0, 200)}`);
    const o = value as Partial<KubeObject>;
    if (typeof o.apiVersion !== 'string' || typeof o.kind !== 'string' || typeof o.metadata?.name !== 'string') {
      throw new Error(`helm output has an object without apiVersion, kind or metadata.name: ${JSON.stringify(value).slice(0, 200)}`);
    }
    objects.push(o as KubeObject);
  }
  return objects;
}

/** The objects of one kind (and component, by app.kubernetes.io/component). */
export function find(objects: KubeObject[], kind: string, component?: string): KubeObject[] {
  return objects.filter((o) => o.kind === kind && (component === undefined || o.metadata.labels?.['app.kubernetes.io/component'] === component));
}
