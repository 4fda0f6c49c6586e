import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APPS, appVariables, chartProblems, envOf, podSpec, secretsProblems, workload, type App } from './assertions';
import { validateObject } from './kube-schema';
import { CHART_DIR, find, REPO_ROOT, template, type KubeObject } from './manifests';

// Renders with every optional feature on (test/fixtures/everything.yaml: service
// mode for SIP, SIPS trunk with mutual TLS, cert-manager, partners over mTLS,
// the Entra certificate, OTLP, ServiceMonitor, restricted egress) and the
// default hostNetwork render of a region, and checks what each feature renders.

const fixture = (f: string) => join(CHART_DIR, 'test/fixtures', f);
const REGION_FILE = join(CHART_DIR, 'regions/uksouth.yaml');
const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as {
  properties: Record<string, { properties: { config?: { properties: Record<string, unknown> } } }>;
};
const VALUES_KEY: Record<App, string> = {
  'registration-service': 'registrationService',
  'policy-sync-worker': 'policySyncWorker',
  'sip-signaling': 'sipSignaling',
  'call-events': 'callEvents',
  'widget-gateway': 'widgetGateway',
};
const configKeys = (app: App) => Object.keys(schema.properties[VALUES_KEY[app]]?.properties.config?.properties ?? {});
// Read by the apps, deliberately set by no value of the chart: the SASL password
// comes by secretKeyRef as KAFKA_SASL_PASSWORD (the apps refuse it set both ways).
const NOT_SET = ['KAFKA_SASL_PASSWORD_FILE'];

type Container = { name: string; env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[]; args?: string[]; ports?: { name: string; containerPort: number; protocol?: string }[]; volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[] };
const container = (objects: KubeObject[], component: string) => podSpec(workload(objects, component) as KubeObject)?.containers.find((c) => c.name === component) as Container;

describe('every feature on', () => {
  let objects: KubeObject[] = [];
  let regionObjects: KubeObject[] = [];

  beforeAll(() => {
    const r = template({ release: 'ci-connector-westeurope', values: [fixture('everything.yaml')] });
    expect(r.stderr).toBe('');
    objects = r.objects;
    regionObjects = template({ values: [REGION_FILE] }).objects;
  });

  it('every object passes its Kubernetes schema, CRDs (ServiceMonitor, Certificate) included', () => {
    expect(objects.map((o) => o.kind)).toEqual(expect.arrayContaining(['ServiceMonitor', 'Certificate', 'NetworkPolicy', 'ConfigMap']));
    expect(objects.flatMap(validateObject)).toEqual([]);
  });

  it('holds the chart rules', () => {
    expect(chartProblems(objects)).toEqual([]);
  });

  it.each(APPS)("%s: the chart sets, or its `config` value may set, every variable the app reads, and nothing else", (app) => {
    const rendered = new Set([...envOf(objects, app).keys(), ...envOf(regionObjects, app).keys()]);
    const config = configKeys(app);
    const reads = appVariables(app);
    expect(reads.filter((v) => !rendered.has(v) && !config.includes(v) && !NOT_SET.includes(v))).toEqual([]);
    expect(config.filter((v) => !reads.includes(v) || NOT_SET.includes(v))).toEqual([]);
    expect(NOT_SET.filter((v) => rendered.has(v))).toEqual([]);
    // A variable the chart sets itself is not settable again through `config`.
    expect(config.filter((v) => rendered.has(v))).toEqual([]);
  });

  it('points every service at the OTLP collector, and at their metrics port', () => {
    for (const app of APPS) {
      const env = envOf(objects, app);
      expect(env.get('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')?.value).toBe('http://otel-collector.observability:4318/v1/traces');
      expect(env.get('OTEL_TRACES_SAMPLE_RATIO')?.value).toBe('0.25');
      expect(env.get('METRICS_PORT')?.value).toBe('9464');
      expect(container(objects, app).ports).toContainEqual({ name: 'metrics', containerPort: 9464, protocol: 'TCP' });
    }
    expect(envOf(objects, 'call-events').get('METRICS_HOST')?.value).toBe('0.0.0.0');
    expect(envOf(regionObjects, 'registration-service').has('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT')).toBe(false);
  });

  it('scrapes port `metrics` of every component with one ServiceMonitor', () => {
    const [sm] = find(objects, 'ServiceMonitor');
    const spec = sm?.['spec'] as { selector: { matchLabels: Record<string, string> }; endpoints: { port: string; path: string }[] };
    expect(spec.endpoints).toEqual([expect.objectContaining({ port: 'metrics', path: '/metrics' })]);
    expect(sm?.metadata.labels?.['release']).toBe('kube-prometheus-stack');
    const scraped = find(objects, 'Service').filter((s) => Object.entries(spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v));
    expect(scraped.map((s) => s.metadata.labels?.['app.kubernetes.io/component']).sort()).toEqual([...APPS, 'rtpengine'].sort());
    for (const s of scraped) expect((s['spec'] as { ports: { name: string }[] }).ports.map((p) => p.name)).toContain('metrics');
  });

  it('ships the Grafana dashboard as a ConfigMap labelled for the sidecar', () => {
    const dashboards = find(objects, 'ConfigMap').filter((c) => c.metadata.labels?.['grafana_dashboard'] === '1');
    expect(dashboards).toHaveLength(1);
    const data = dashboards[0]?.['data'] as Record<string, string>;
    expect(JSON.parse(data['ci-connector.json'] ?? '')).toEqual(JSON.parse(readFileSync(join(CHART_DIR, 'dashboards/ci-connector.json'), 'utf8')));
  });

  it('issues the SIPS client certificate with cert-manager into the Secret sip-signaling mounts', () => {
    const [cert] = find(objects, 'Certificate');
    const spec = cert?.['spec'] as { secretName: string; usages: string[]; issuerRef: { name: string; kind: string } };
    expect(spec.secretName).toBe('ci-connector-recorder-tls');
    expect(spec.usages).toContain('client auth');
    expect(spec.issuerRef).toMatchObject({ name: 'carrier-ca', kind: 'ClusterIssuer' });
    const volumes = podSpec(workload(objects, 'sip-signaling') as KubeObject)?.volumes ?? [];
    expect(volumes.find((v) => v.name === 'recording-tls')?.secret?.secretName).toBe('ci-connector-recorder-tls');
    expect(envOf(objects, 'sip-signaling').get('RECORDING_TLS_CA_FILE')?.value).toBe('/etc/ci-connector/recording-ca/ca.crt');
  });

  it('service mode: a LoadBalancer for SIP over UDP, TCP and TLS, advertised at its address; rtpengine reached on the node', () => {
    const sipService = find(objects, 'Service', 'sip-signaling').find((s) => s.metadata.name.endsWith('-sip'));
    const spec = sipService?.['spec'] as { type: string; externalTrafficPolicy: string; loadBalancerSourceRanges: string[]; ports: { name: string; port: number; protocol: string }[] };
    expect(spec.type).toBe('LoadBalancer');
    expect(spec.externalTrafficPolicy).toBe('Local');
    expect(spec.loadBalancerSourceRanges).toEqual(['198.51.100.0/24']);
    expect(spec.ports.map((p) => `${p.name} ${p.port}/${p.protocol}`)).toEqual(['sip-udp 5060/UDP', 'sip-tcp 5060/TCP', 'sip-tls 5061/TCP']);
    const pod = podSpec(workload(objects, 'sip-signaling') as KubeObject);
    expect(pod?.hostNetwork).toBe(false);
    const env = envOf(objects, 'sip-signaling');
    expect(env.get('SIP_ADVERTISED_HOST')?.value).toBe('203.0.113.10');
    expect(env.get('SIP_TLS')?.value).toBe('true');
    expect(env.get('SIP_TLS_REQUIRE_CLIENT_CERT')?.value).toBe('true');
    expect(env.get('RTPENGINE_HOST')?.valueFrom?.fieldRef?.fieldPath).toBe('status.hostIP');
    expect(container(objects, 'rtpengine').env?.find((e) => e.name === 'NG_ADDRESS')?.value).toBe('$(NODE_IP)');
    // In the pod network sip-signaling gets a NetworkPolicy with SIP open to callers.
    expect(find(objects, 'NetworkPolicy', 'sip-signaling')).toHaveLength(1);
  });

  it('hostNetwork mode (the default): SIP on the node, one pod per media node, rtpengine on loopback beside it', () => {
    const sip = workload(regionObjects, 'sip-signaling') as KubeObject;
    const pod = podSpec(sip) as unknown as { hostNetwork: boolean; dnsPolicy: string; affinity: { podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { topologyKey: string }[] } } };
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe('ClusterFirstWithHostNet');
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]?.topologyKey).toBe('kubernetes.io/hostname');
    expect((sip['spec'] as { strategy: { rollingUpdate: { maxSurge: number } } }).strategy.rollingUpdate.maxSurge).toBe(0);
    const env = envOf(regionObjects, 'sip-signaling');
    expect(env.get('RTPENGINE_HOST')?.value).toBe('127.0.0.1');
    expect(env.get('SIP_ADVERTISED_HOST')?.valueFrom?.fieldRef?.fieldPath).toBe('status.hostIP');
    expect(env.get('METRICS_HOST')?.value).toBe('$(HTTP_HOST)');
    expect(container(regionObjects, 'rtpengine').env?.find((e) => e.name === 'NG_ADDRESS')?.value).toBe('127.0.0.1');
    // NetworkPolicies do not apply to hostNetwork pods: none is rendered for sip-signaling.
    expect(find(regionObjects, 'NetworkPolicy', 'sip-signaling')).toHaveLength(0);
    expect(find(regionObjects, 'Service', 'sip-signaling')).toHaveLength(1);
  });

  it('rtpengine: userspace, media port range, open files for ~2,400 recorded calls, advertised address', () => {
    const c = container(objects, 'rtpengine');
    const script = (c.args ?? []).join('\n');
    expect(script).toContain('ulimit -n 20000');
    expect(script).toContain('--table=-1');
    expect(script).toContain('--port-min=20000 --port-max=39999');
    expect(script).toContain('--max-sessions=2400');
    expect(script).toMatch(/--listen-ng="\$NG_ADDRESS:22222"/);
    expect(script).toContain("'--delete-delay=0'");
    expect(c.env?.find((e) => e.name === 'ADVERTISED_IP')?.value).toBe('203.0.113.10');
    expect(c.ports).toContainEqual({ name: 'ng', containerPort: 22222, protocol: 'UDP' });
  });

  it('Kafka over TLS (mutual, with the broker name to check) and SCRAM in every service', () => {
    for (const app of APPS) {
      const env = envOf(objects, app);
      expect(env.get('KAFKA_TLS')?.value).toBe('true');
      expect(env.get('KAFKA_TLS_SERVERNAME')?.value).toBe('ci-connector-kafka-bootstrap.kafka.svc');
      expect(env.get('KAFKA_TLS_CERT_FILE')?.value).toBe('/etc/ci-connector/kafka-client/tls.crt');
      expect(env.get('KAFKA_SASL_PASSWORD')?.valueFrom?.secretKeyRef).toEqual({ name: 'ci-connector-kafka-user', key: 'password' });
    }
  });

  it('policy-sync-worker runs node with --max-semi-space-size=8', () => {
    expect(envOf(regionObjects, 'policy-sync-worker').get('NODE_OPTIONS')?.value).toBe('--max-semi-space-size=8');
  });

  it('call-events: mutual-TLS listeners with the partners file from a ConfigMap', () => {
    const env = envOf(objects, 'call-events');
    expect(env.get('MTLS_HTTPS_PORT')?.value).toBe('8443');
    expect(env.get('MTLS_PARTNERS_FILE')?.value).toBe('/etc/ci-connector/partners/partners.json');
    const partners = find(objects, 'ConfigMap', 'call-events')[0]?.['data'] as Record<string, string>;
    expect(JSON.parse(partners['partners.json'] ?? '')).toEqual({ partners: [{ id: 'acme-dialer', subject: { CN: 'dialer.acme.example', O: 'Acme' }, tenants: ['6f1c0a52-0b7e-4c1e-9a59-1b1f5e0d2c3a'] }] });
  });

  it('the Entra certificate credential: files from a kubernetes.io/tls Secret, the client id as a value', () => {
    for (const app of ['registration-service', 'policy-sync-worker'] as const) {
      const env = envOf(objects, app);
      expect(env.get('CI_APP_CLIENT_ID')?.value).toBe('4d4d4d4d-4444-4444-8444-444444444444');
      expect(env.has('CI_APP_CLIENT_SECRET')).toBe(false);
      expect(env.get('CI_APP_CERT_FILE')?.value).toBe('/etc/ci-connector/entra/tls.crt');
      expect(env.get('CI_APP_KEY_FILE')?.value).toBe('/etc/ci-connector/entra/tls.key');
      expect(env.get('REDIS_URL')?.value).toBe('rediss://redis.example.net:6380/0');
    }
  });

  it('restricted egress: DNS, Redis, Kafka, HTTPS and the collector only', () => {
    const np = find(objects, 'NetworkPolicy', 'registration-service')[0]?.['spec'] as { egress: { ports: { port: number; protocol: string }[] }[] };
    const ports = np.egress.flatMap((r) => r.ports.map((p) => `${p.port}/${p.protocol}`)).sort();
    expect(ports).toEqual(['4318/TCP', '443/TCP', '53/TCP', '53/UDP', '6380/TCP', '9093/TCP'].sort());
  });

  it('images: the registry, our repositories and the chart appVersion (the root package.json version)', () => {
    const version = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    for (const app of APPS) expect((container(objects, app) as unknown as { image: string }).image).toBe(`registry.example.net/ci-connector/${app}:${version}`);
  });
});

// --- Kafka TLS and SASL ----------------------------------------------------------------

type EnvEntry = { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } };
type Mount = { name: string; mountPath: string; readOnly?: boolean };
type SecretVolume = { name: string; secret?: { secretName: string; defaultMode?: number; items?: { key: string; path: string }[] } };
interface PodView {
  env: EnvEntry[];
  mounts: Mount[];
  volumes: SecretVolume[];
}

function podView(objects: KubeObject[], component: string): PodView {
  const pod = podSpec(workload(objects, component) as KubeObject) as unknown as { containers: { name: string; env?: EnvEntry[]; volumeMounts?: Mount[] }[]; volumes?: SecretVolume[] };
  const c = pod.containers.find((x) => x.name === component);
  return { env: c?.env ?? [], mounts: c?.volumeMounts ?? [], volumes: pod.volumes ?? [] };
}

/** What a render adds to a component's pod, and which variables it drops or changes, against another render. */
function changes(after: PodView, before: PodView) {
  const missingFrom = <T>(xs: T[], ys: T[]) => xs.filter((x) => !ys.some((y) => JSON.stringify(y) === JSON.stringify(x)));
  return {
    env: missingFrom(after.env, before.env),
    envReplaced: missingFrom(before.env, after.env).map((e) => e.name),
    mounts: missingFrom(after.mounts, before.mounts),
    volumes: missingFrom(after.volumes, before.volumes),
    removed: [...missingFrom(before.mounts, after.mounts), ...missingFrom(before.volumes, after.volumes)].map((x) => x.name),
  };
}

/** Where a string occurs in the objects, as `Kind path` with the list indices dropped. */
function occurrences(objects: KubeObject[], needle: string): string[] {
  const out: string[] = [];
  const walk = (value: unknown, path: string, kind: string) => {
    if (value === needle) out.push(`${kind} ${path}`);
    else if (Array.isArray(value)) value.forEach((v) => walk(v, `${path}[]`, kind));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k, kind);
    else if (typeof value === 'string' && value.includes(needle)) out.push(`${kind} ${path} (inside a text)`);
  };
  for (const o of objects) walk(o, '', o.kind);
  return out;
}

// Every service that talks to Kafka (its .env.example lists KAFKA_BROKERS) gets the same settings.
const KAFKA_APPS = APPS.filter((app) => appVariables(app).includes('KAFKA_BROKERS'));

describe('Kafka TLS and SASL', () => {
  let plain: KubeObject[] = [];
  // A Strimzi cluster: its TLS listener, its cluster CA, a client certificate from a
  // kubernetes.io/tls Secret, and a SCRAM-SHA-512 KafkaUser's Secret.
  let strimzi: ReturnType<typeof template>;
  // A managed Kafka with public CAs and SASL PLAIN (Azure Event Hubs' Kafka endpoint).
  let managed: ReturnType<typeof template>;

  beforeAll(() => {
    plain = template({ values: [REGION_FILE] }).objects;
    strimzi = template({
      values: [REGION_FILE],
      setJson: ['kafka.brokers=["ci-connector-kafka-bootstrap:9093"]'],
      set: [
        'kafka.tls.enabled=true',
        'kafka.tls.caSecretName=ci-connector-cluster-ca-cert',
        'kafka.tls.clientCertSecretName=ci-connector-kafka-client',
        'kafka.sasl.enabled=true',
        'kafka.sasl.mechanism=scram-sha-512',
        'kafka.sasl.username=ci-connector',
        'kafka.sasl.passwordSecretName=ci-connector-kafka-user',
      ],
    });
    managed = template({
      values: [REGION_FILE],
      setJson: ['kafka.brokers=["cic-uksouth.servicebus.windows.net:9093"]'],
      set: ['kafka.tls.enabled=true', 'kafka.sasl.enabled=true', 'kafka.sasl.mechanism=plain', 'kafka.sasl.username=$ConnectionString', 'kafka.sasl.passwordSecretName=event-hubs', 'kafka.sasl.passwordKey=connection-string'],
    });
  });

  it('renders, every object passing its Kubernetes schema and the chart rules', () => {
    for (const r of [strimzi, managed]) {
      expect(r.stderr).toBe('');
      expect(r.objects.flatMap(validateObject)).toEqual([]);
      expect(chartProblems(r.objects)).toEqual([]);
    }
  });

  it.each(KAFKA_APPS)('%s: TLS with the cluster CA, mutual TLS and SCRAM add exactly their variables, read-only mounts and Secret volumes', (app) => {
    expect(changes(podView(strimzi.objects, app), podView(plain, app))).toEqual({
      env: [
        { name: 'KAFKA_BROKERS', value: 'ci-connector-kafka-bootstrap:9093' },
        { name: 'KAFKA_TLS', value: 'true' },
        { name: 'KAFKA_TLS_CA_FILE', value: '/etc/ci-connector/kafka-ca/ca.crt' },
        { name: 'KAFKA_TLS_CERT_FILE', value: '/etc/ci-connector/kafka-client/tls.crt' },
        { name: 'KAFKA_TLS_KEY_FILE', value: '/etc/ci-connector/kafka-client/tls.key' },
        { name: 'KAFKA_SASL_MECHANISM', value: 'scram-sha-512' },
        { name: 'KAFKA_SASL_USERNAME', value: 'ci-connector' },
        { name: 'KAFKA_SASL_PASSWORD', valueFrom: { secretKeyRef: { name: 'ci-connector-kafka-user', key: 'password' } } },
      ],
      envReplaced: ['KAFKA_BROKERS', 'KAFKA_TLS'],
      mounts: [
        { name: 'kafka-ca', mountPath: '/etc/ci-connector/kafka-ca', readOnly: true },
        { name: 'kafka-client', mountPath: '/etc/ci-connector/kafka-client', readOnly: true },
      ],
      volumes: [
        { name: 'kafka-ca', secret: { secretName: 'ci-connector-cluster-ca-cert', defaultMode: 0o440, items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          name: 'kafka-client',
          secret: {
            secretName: 'ci-connector-kafka-client',
            defaultMode: 0o440,
            items: [
              { key: 'tls.crt', path: 'tls.crt' },
              { key: 'tls.key', path: 'tls.key' },
            ],
          },
        },
      ],
      removed: [],
    });
  });

  it.each(KAFKA_APPS)('%s: a managed Kafka with public CAs and SASL PLAIN: the variables only, no file', (app) => {
    expect(changes(podView(managed.objects, app), podView(plain, app))).toEqual({
      env: [
        { name: 'KAFKA_BROKERS', value: 'cic-uksouth.servicebus.windows.net:9093' },
        { name: 'KAFKA_TLS', value: 'true' },
        { name: 'KAFKA_SASL_MECHANISM', value: 'plain' },
        // Kubernetes expands only $(NAME): the value reaches the app as it is.
        { name: 'KAFKA_SASL_USERNAME', value: '$ConnectionString' },
        { name: 'KAFKA_SASL_PASSWORD', valueFrom: { secretKeyRef: { name: 'event-hubs', key: 'connection-string' } } },
      ],
      envReplaced: ['KAFKA_BROKERS', 'KAFKA_TLS'],
      mounts: [],
      volumes: [],
      removed: [],
    });
  });

  it("a Strimzi KafkaUser's own certificate Secret (user.crt, user.key) is mounted under the same file names", () => {
    const r = template({ values: [REGION_FILE], set: ['kafka.tls.enabled=true', 'kafka.tls.clientCertSecretName=ci-connector', 'kafka.tls.clientCertKey=user.crt', 'kafka.tls.clientKeyKey=user.key'] });
    for (const app of KAFKA_APPS) {
      const view = podView(r.objects, app);
      expect(view.volumes.find((v) => v.name === 'kafka-client')?.secret?.items).toEqual([
        { key: 'user.crt', path: 'tls.crt' },
        { key: 'user.key', path: 'tls.key' },
      ]);
      expect(view.env.filter((e) => e.name.startsWith('KAFKA_TLS'))).toEqual([
        { name: 'KAFKA_TLS', value: 'true' },
        { name: 'KAFKA_TLS_CERT_FILE', value: '/etc/ci-connector/kafka-client/tls.crt' },
        { name: 'KAFKA_TLS_KEY_FILE', value: '/etc/ci-connector/kafka-client/tls.key' },
      ]);
    }
  });

  it('off by default: KAFKA_TLS=false, no other TLS or SASL variable and no Kafka volume in any service; nothing Kafka in rtpengine', () => {
    for (const app of KAFKA_APPS) {
      const view = podView(plain, app);
      expect(view.env.filter((e) => /^KAFKA_(TLS|SASL)/.test(e.name))).toEqual([{ name: 'KAFKA_TLS', value: 'false' }]);
      expect([...view.mounts, ...view.volumes].filter((x) => x.name.startsWith('kafka'))).toEqual([]);
    }
    expect(podView(strimzi.objects, 'rtpengine').env.filter((e) => e.name.startsWith('KAFKA'))).toEqual([]);
    expect(podView(strimzi.objects, 'rtpengine').volumes.filter((v) => v.name.startsWith('kafka'))).toEqual([]);
  });

  it('names the Secrets, never their contents: the password only by secretKeyRef, the certificates only as Secret volumes', () => {
    const perApp = (what: string) => KAFKA_APPS.map(() => what);
    expect(occurrences(strimzi.objects, 'ci-connector-kafka-user')).toEqual(perApp('Deployment spec.template.spec.containers[].env[].valueFrom.secretKeyRef.name'));
    expect(occurrences(strimzi.objects, 'ci-connector-kafka-client')).toEqual(perApp('Deployment spec.template.spec.volumes[].secret.secretName'));
    expect(occurrences(strimzi.objects, 'ci-connector-cluster-ca-cert')).toEqual(perApp('Deployment spec.template.spec.volumes[].secret.secretName'));
    expect(secretsProblems(strimzi.objects)).toEqual([]);
    expect(find(strimzi.objects, 'Secret')).toEqual([]);
  });
});

describe('a private Redis CA', () => {
  it("mounts it in every service that uses Redis and hands it to Node (NODE_EXTRA_CA_CERTS, which ioredis' TLS uses); nothing by default", () => {
    const r = template({ values: [REGION_FILE], set: ['redis.caSecretName=redis-private-ca', 'redis.caKey=ca.pem'] });
    expect(r.stderr).toBe('');
    expect(r.objects.flatMap(validateObject)).toEqual([]);
    expect(chartProblems(r.objects)).toEqual([]);
    const plain = template({ values: [REGION_FILE] }).objects;
    for (const app of APPS.filter((a) => appVariables(a).includes('REDIS_URL'))) {
      expect(envOf(r.objects, app).get('NODE_EXTRA_CA_CERTS')).toEqual({ name: 'NODE_EXTRA_CA_CERTS', value: '/etc/ci-connector/redis-ca/ca.crt' });
      const c = container(r.objects, app);
      expect(c.volumeMounts).toContainEqual({ name: 'redis-ca', mountPath: '/etc/ci-connector/redis-ca', readOnly: true });
      const volumes = (podSpec(workload(r.objects, app) as KubeObject)?.volumes ?? []) as { name: string; secret?: unknown }[];
      expect(volumes.find((v) => v.name === 'redis-ca')).toEqual({ name: 'redis-ca', secret: { secretName: 'redis-private-ca', defaultMode: 288, items: [{ key: 'ca.pem', path: 'ca.crt' }] } });
      expect(envOf(plain, app).has('NODE_EXTRA_CA_CERTS')).toBe(false);
    }
  });
});
