// The values table of charts/ci-connector/README.md, made from values.yaml's
// `## @param <key> <description>` and `## @section <title>` comments (bitnami
// readme-generator style). The charts test checks the README against it;
// rewrite it with:  node charts/ci-connector/test/values-doc.ts --write
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';

export interface Param {
  key: string;
  description: string;
  section: string;
}

export const START = '<!-- values-table:start (node charts/ci-connector/test/values-doc.ts --write) -->';
export const END = '<!-- values-table:end -->';

/** The documented parameters, in the file's order. */
export function params(valuesYaml: string): Param[] {
  const out: Param[] = [];
  let section = '';
  for (const line of valuesYaml.split('\n')) {
    const s = /^\s*## @section (.+)$/.exec(line);
    if (s) section = (s[1] ?? '').trim();
    const p = /^\s*## @param (\S+) (.+)$/.exec(line);
    if (p) out.push({ key: p[1] ?? '', description: (p[2] ?? '').trim(), section });
  }
  return out;
}

/**
 * The keys that need a @param: every scalar, every list, and every empty map
 * (a map the user fills, like podAnnotations); a map with keys of its own is
 * documented through them, unless its @param documents it whole (a free-form
 * map with defaults, like media.nodeSelector or a security context).
 */
export function leaves(valuesYaml: string, documented: Set<string>): string[] {
  const doc = parseDocument(valuesYaml);
  const out: string[] = [];
  const walk = (node: Node | null | undefined, path: string) => {
    if (isMap(node) && node.items.length > 0 && !documented.has(path)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        walk(pair.value as Node, path ? `${path}.${key}` : key);
      }
    } else {
      out.push(path);
    }
  };
  walk(doc.contents as Node, '');
  return out;
}

/** The default of a key, as it reads in values.yaml (JSON for maps and lists). */
export function defaultOf(doc: Document, key: string): string {
  const node = doc.getIn(key.split('.'), true) as Node | undefined;
  if (node === undefined) return '';
  const value: unknown = isScalar(node) || isMap(node) || isSeq(node) ? node.toJSON() : node;
  return JSON.stringify(value);
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** The README's table: one section heading and table per @section. */
export function valuesTable(valuesYaml: string): string {
  const doc = parseDocument(valuesYaml);
  const out: string[] = [];
  let section: string | undefined;
  for (const p of params(valuesYaml)) {
    if (p.section !== section) {
      section = p.section;
      out.push('', `### ${section}`, '', '| Name | Description | Default |', '|---|---|---|');
    }
    out.push(`| \`${p.key}\` | ${cell(p.description)} | \`${cell(defaultOf(doc, p.key))}\` |`);
  }
  return out.join('\n').trim();
}

/** README text with the table between the markers replaced. */
export function withTable(readme: string, table: string): string {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} block`);
  return `${readme.slice(0, start + START.length)}\n\n${table}\n\n${readme.slice(end)}`;
}

const script = process.argv[1] ?? '';
if (script.endsWith('values-doc.ts') && process.argv.includes('--write')) {
  const chart = join(dirname(resolve(script)), '..');
  const readmePath = join(chart, 'README.md');
  const table = valuesTable(readFileSync(join(chart, 'values.yaml'), 'utf8'));
  writeFileSync(readmePath, withTable(readFileSync(readmePath, 'utf8'), table));
  process.stdout.write(`values table written to ${readmePath}\n`);
}
