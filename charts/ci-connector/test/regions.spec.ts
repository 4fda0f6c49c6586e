import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RECORDER_REGION_NAMES, RECORDER_REGIONS } from '@ci-connector/tenancy';
import { chartProblems, envOf, regionProblems, workload } from './assertions';
import { validateObject } from './kube-schema';
import { CHART_DIR, find, helm, template, type KubeObject } from './manifests';

// Per region, what an SRE types: helm install ci-connector-<region> charts/ci-connector -f regions/<region>.yaml
const REGION_FILES = readdirSync(join(CHART_DIR, 'regions'))
  .filter((f) => f.endsWith('.yaml'))
  .sort();

describe('region files', () => {
  it('are one per recorder endpoint of the seed table (libs/tenancy), named by region', () => {
    expect(REGION_FILES.map((f) => f.replace(/\.yaml$/, ''))).toEqual([...RECORDER_REGION_NAMES].sort());
    expect(REGION_FILES).toHaveLength(14);
  });

  it('match the regions values.schema.json accepts', () => {
    const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as { $defs: { region: { enum: string[] } } };
    expect([...schema.$defs.region.enum].sort()).toEqual([...RECORDER_REGION_NAMES].sort());
  });
});

describe.each(REGION_FILES.map((f) => [f.replace(/\.yaml$/, ''), join(CHART_DIR, 'regions', f)]))('region %s', (region, file) => {
  let objects: KubeObject[] = [];
  let rendered: ReturnType<typeof template>;

  beforeAll(() => {
    rendered = template({ release: `ci-connector-${region}`, values: [file] });
    objects = rendered.objects;
  });

  it('passes helm lint (schema, templates, Chart.yaml) with its values', () => {
    const lint = helm(['lint', CHART_DIR, '--strict', '-f', file]);
    expect(lint.stderr).toBe('');
    expect(lint.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
    expect(lint.ok).toBe(true);
  });

  it('renders with helm template', () => {
    expect(rendered.stderr).toBe('');
    expect(rendered.ok).toBe(true);
    expect(find(objects, 'Deployment').map((o) => o.metadata.labels?.['app.kubernetes.io/component']).sort()).toEqual(['call-events', 'policy-sync-worker', 'registration-service', 'sip-signaling', 'widget-gateway']);
    expect(find(objects, 'DaemonSet', 'rtpengine')).toHaveLength(1);
    expect(find(objects, 'HorizontalPodAutoscaler').map((o) => o.metadata.labels?.['app.kubernetes.io/component']).sort()).toEqual(['call-events', 'registration-service', 'widget-gateway']);
    expect(find(objects, 'PodDisruptionBudget')).toHaveLength(5);
    expect(objects.every((o) => o.metadata.labels?.['ci-connector.io/region'] === region)).toBe(true);
  });

  it('every object passes its Kubernetes schema, unknown fields included', () => {
    expect(objects.flatMap(validateObject)).toEqual([]);
  });

  it('holds the chart rules: no credentials in ConfigMaps, non-root containers with limits, the drain, media placement, known variables', () => {
    expect(chartProblems(objects)).toEqual([]);
  });

  it("sends the region's tenants to its recorder first, then to the global endpoint", () => {
    expect(regionProblems(objects, region, RECORDER_REGIONS)).toEqual([]);
  });

  it('names the Secrets, never their contents', () => {
    const env = envOf(objects, 'registration-service');
    expect(env.get('CI_APP_CLIENT_SECRET')?.valueFrom?.secretKeyRef).toEqual({ name: 'ci-connector-entra', key: 'client-secret' });
    expect(env.get('REDIS_URL')?.valueFrom?.secretKeyRef).toEqual({ name: 'ci-connector-redis', key: 'redis-url' });
    expect(envOf(objects, 'call-events').get('WIDGET_TOKEN_SECRET')?.valueFrom?.secretKeyRef).toEqual({ name: 'ci-connector-api-keys', key: 'widget-token-secret' });
    const sip = workload(objects, 'sip-signaling');
    const volumes = (sip?.['spec'] as { template: { spec: { volumes: { name: string; secret?: { secretName: string } }[] } } }).template.spec.volumes;
    expect(volumes.find((v) => v.name === 'recording-tls')?.secret?.secretName).toBe('ci-connector-recorder-tls');
  });
});
