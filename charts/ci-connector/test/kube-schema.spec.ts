import { validateObject } from './kube-schema';
import { parseManifests, type KubeObject } from './manifests';

// The strict validation the chart's checks rely on: kubernetes-models' schemas
// (which alone ignore unknown fields) plus the unknown-field probe.

const deployment = (): KubeObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web' } },
    spec: {
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          hostNetwork: true,
          containers: [{ name: 'web', image: 'web:1', env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } }], resources: { limits: { cpu: '1', memory: '1Gi' } } }],
        },
      },
    },
  }) as KubeObject;

describe('validateObject', () => {
  it('accepts a valid object, map keys with slashes and quantities included', () => {
    expect(validateObject(deployment())).toEqual([]);
  });

  it('names each unknown field by its path, in core kinds', () => {
    const d = deployment() as unknown as { spec: { template: { spec: Record<string, unknown> & { containers: Record<string, unknown>[] } } } };
    d.spec.template.spec['hostNetwrok'] = true;
    d.spec.template.spec.containers[0]!['imagePullPolicyy'] = 'Always';
    (d.spec.template.spec.containers[0]!['env'] as Record<string, unknown>[])[0]!['valueFrom'] = { fieldRef: { fieldPath: 'status.podIP', api: 'v1' } };
    expect(validateObject(d as unknown as KubeObject).sort()).toEqual([
      'Deployment/web: /spec/template/spec/containers/0/env/0/valueFrom/fieldRef/api: unknown field',
      'Deployment/web: /spec/template/spec/containers/0/imagePullPolicyy: unknown field',
      'Deployment/web: /spec/template/spec/hostNetwrok: unknown field',
    ]);
  });

  it('reports wrong types and missing required fields', () => {
    const d = deployment() as unknown as { spec: Record<string, unknown> & { template: { spec: { containers: Record<string, unknown>[] } } } };
    d.spec['replicas'] = 'two';
    delete d.spec.template.spec.containers[0]!['name'];
    const problems = validateObject(d as unknown as KubeObject);
    expect(problems).toContain('Deployment/web: /spec/replicas must be integer');
    expect(problems).toContain('Deployment/web: /spec/template/spec/containers/0 must have required property name');
  });

  it('checks the CRDs too: ServiceMonitor and Certificate', () => {
    const [sm, cert] = parseManifests(`
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata: { name: m }
spec:
  selector: { matchLabels: { a: b } }
  endpoints: [{ port: metrics, intervall: 30s }]
---
apiVersion: cert-manager.io/v1
kind: Certificate
metadata: { name: c }
spec:
  secretName: s
  issuerRef: { name: i, kind: ClusterIssuer }
  usages: [client auth]
  privateKey: { algorithm: RSA, size: 2048, rotation: Always }
`);
    expect(validateObject(sm!)).toEqual(['ServiceMonitor/m: /spec/endpoints/0/intervall: unknown field']);
    expect(validateObject(cert!)).toEqual(['Certificate/c: /spec/privateKey/rotation: unknown field']);
  });

  it('fails a kind it has no schema for, never passes it', () => {
    expect(validateObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toEqual([
      'Widget/w: no schema for example.com/v1/Widget (add its kubernetes-models class to test/kube-schema.ts)',
    ]);
  });
});

describe('parseManifests', () => {
  it('reads a helm stream: empty and comment-only documents skipped, every object kept', () => {
    const objects = parseManifests(`---
# Source: chart/templates/empty.yaml
---
# Source: chart/templates/a.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: a
data:
  x: "---"
---

---
apiVersion: v1
kind: ServiceAccount
metadata: { name: b }
`);
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ConfigMap/a', 'ServiceAccount/b']);
    expect(objects[0]!['data']).toEqual({ x: '---' });
  });

  it('refuses output that is not a stream of Kubernetes objects', () => {
    expect(() => parseManifests('apiVersion: v1\nkind: [unclosed\n')).toThrow(/does not parse as YAML/);
    expect(() => parseManifests('- just\n- a list\n')).toThrow(/not an object/);
    expect(() => parseManifests('kind: ConfigMap\nmetadata: { name: x }\n')).toThrow(/without apiVersion/);
  });
});
