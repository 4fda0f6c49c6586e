import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CHART_DIR, REPO_ROOT } from './manifests';
import { END, leaves, params, START, valuesTable, withTable } from './values-doc';

const valuesYaml = readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8');

describe('Chart.yaml', () => {
  it('is a v2 chart whose appVersion is the root package.json version (the images tag)', () => {
    const chart = parse(readFileSync(join(CHART_DIR, 'Chart.yaml'), 'utf8')) as { apiVersion: string; name: string; appVersion: string };
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(chart.apiVersion).toBe('v2');
    expect(chart.name).toBe('ci-connector');
    expect(chart.appVersion).toBe(pkg.version);
  });

  it('has one template folder per component', () => {
    const folders = readdirSync(join(CHART_DIR, 'templates')).filter((f) => statSync(join(CHART_DIR, 'templates', f)).isDirectory());
    expect(folders.sort()).toEqual(['call-events', 'common', 'policy-sync-worker', 'registration-service', 'rtpengine', 'sip-signaling', 'widget-gateway']);
  });
});

describe('values.yaml documentation', () => {
  const documented = params(valuesYaml);
  const keys = new Set(documented.map((p) => p.key));

  it('documents every value with a ## @param line', () => {
    expect(leaves(valuesYaml, keys).filter((k) => !keys.has(k))).toEqual([]);
  });

  it('documents only values that exist, each once, with a description', () => {
    const all = new Set(leaves(valuesYaml, new Set()));
    const prefixes = new Set([...all].flatMap((k) => k.split('.').map((_, i, parts) => parts.slice(0, i + 1).join('.'))));
    expect(documented.filter((p) => !prefixes.has(p.key)).map((p) => p.key)).toEqual([]);
    expect(documented.length).toBe(keys.size);
    expect(documented.filter((p) => p.description.length < 8).map((p) => p.key)).toEqual([]);
  });

  it("README.md's values table is made from them (node charts/ci-connector/test/values-doc.ts --write)", () => {
    const readme = readFileSync(join(CHART_DIR, 'README.md'), 'utf8');
    expect(readme).toContain(START);
    expect(readme).toContain(END);
    expect(withTable(readme, valuesTable(valuesYaml))).toBe(readme);
  });

  it('the table shows each default as values.yaml has it', () => {
    const table = valuesTable(valuesYaml);
    expect(table).toContain('| `sipSignaling.drain.graceSeconds` | DRAIN_GRACE: on shutdown calls in progress may go on this long, then both legs get BYE | `120` |');
    expect(table).toContain('| `media.nodeSelector` |');
    expect(table).toContain('`{"ci-connector.io/media":"true"}`');
  });
});
