import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APPS, containerProblems, drainProblems, envOf, keyLike, mediaProblems, secretsProblems } from './assertions';
import { CHART_DIR, template } from './manifests';

// A wrong value fails `helm template` with a message naming it (values.schema.json,
// or the template's own checks), and a broken chart fails the assertions.

const REGION_FILE = join(CHART_DIR, 'regions/uksouth.yaml');

function refused(opts: { set?: string[]; setJson?: string[]; values?: string[] }) {
  const r = template({ values: opts.values ?? [REGION_FILE], set: opts.set ?? [], setJson: opts.setJson ?? [] });
  expect(r.ok).toBe(false);
  expect(r.objects).toEqual([]);
  return r.stderr;
}

describe('helm template refuses a wrong value and names it', () => {
  it('the recorder certificate Secret missing', () => {
    const err = refused({ set: ['sipSignaling.recording.tls.secretName='] });
    expect(err).toContain("at '/sipSignaling/recording/tls/secretName': minLength: got 0, want 1");
  });

  it('a port out of range', () => {
    expect(refused({ set: ['sipSignaling.sip.udp.port=70000'] })).toContain("at '/sipSignaling/sip/udp/port': maximum: got 70,000, want 65,535");
    expect(refused({ set: ['rtpengine.ngPort=0'] })).toContain("at '/rtpengine/ngPort': minimum: got 0, want 1");
    expect(refused({ set: ['metrics.port=65536'] })).toContain("at '/metrics/port'");
    expect(refused({ setJson: ['kafka.brokers=["kafka:99999"]'] })).toContain("at '/kafka/brokers/0'");
  });

  it('an unknown region, and none at all (the chart without a region file)', () => {
    expect(refused({ set: ['region=mars'] })).toMatch(/at '\/region': value must be one of 'global', 'southeastasia',.*'zaf'/);
    const bare = refused({ values: [] });
    expect(bare).toContain("at '/region'");
    expect(bare).toContain("at '/sipSignaling/recording/tls/secretName'");
  });

  it('a misspelt key or app variable', () => {
    expect(refused({ set: ['sipSignaling.config.SIP_MAXCALLS=100'] })).toContain("at '/sipSignaling/config': additional properties 'SIP_MAXCALLS' not allowed");
    expect(refused({ set: ['sipSignalling.enabled=false'] })).toContain("additional properties 'sipSignalling' not allowed");
    // A variable the chart sets from its own values is not settable through `config`.
    expect(refused({ set: ['sipSignaling.config.DRAIN_GRACE=5m'] })).toContain("additional properties 'DRAIN_GRACE' not allowed");
    // A choice of words: only those.
    expect(refused({ set: ['widgetGateway.config.WIDGET_DELIVERY=fast'] })).toContain("at '/widgetGateway/config/WIDGET_DELIVERY'");
  });

  it('a container allowed to run as root, or without limits', () => {
    expect(refused({ set: ['callEvents.podSecurityContext.runAsNonRoot=false'] })).toContain("at '/callEvents/podSecurityContext/runAsNonRoot'");
    // (null removes a default: --set merges into values.yaml)
    expect(refused({ set: ['widgetGateway.resources.limits=null'] })).toContain("at '/widgetGateway/resources': missing property 'limits'");
  });

  it('a Redis password slipped into redis.host (it would land in a plain REDIS_URL)', () => {
    expect(refused({ set: ['redis.existingSecret=', 'redis.host=u:hunter2@redis'] })).toContain("at '/redis/host'");
  });

  it('no media node label', () => {
    expect(refused({ setJson: ['media.nodeSelector={"ci-connector.io/media":null}'] })).toContain("at '/media/nodeSelector': minProperties: got 0, want 1");
  });

  it('Kafka SASL without its user or the Secret of its password', () => {
    const both = refused({ set: ['kafka.sasl.enabled=true'] });
    expect(both).toContain("at '/kafka/sasl/passwordSecretName': minLength: got 0, want 1");
    expect(both).toContain("at '/kafka/sasl/username': minLength: got 0, want 1");
    const noSecret = refused({ set: ['kafka.sasl.enabled=true', 'kafka.sasl.username=ci-connector'] });
    expect(noSecret).toContain("at '/kafka/sasl/passwordSecretName': minLength: got 0, want 1");
    expect(noSecret).not.toContain('/kafka/sasl/username');
  });

  it('a Kafka SASL mechanism the services do not speak', () => {
    const sasl = ['kafka.sasl.enabled=true', 'kafka.sasl.username=ci-connector', 'kafka.sasl.passwordSecretName=ci-connector-kafka-user'];
    for (const mechanism of ['SCRAM-SHA-512', 'gssapi', 'oauthbearer']) {
      expect(refused({ set: [...sasl, `kafka.sasl.mechanism=${mechanism}`] })).toContain("at '/kafka/sasl/mechanism': value must be one of 'plain', 'scram-sha-256', 'scram-sha-512'");
    }
  });

  it('a Kafka password or certificate given as a value (the chart takes Secret names only)', () => {
    expect(refused({ set: ['kafka.sasl.password=hunter2'] })).toContain("at '/kafka/sasl': additional properties 'password' not allowed");
    expect(refused({ set: ['kafka.tls.ca=-----BEGIN CERTIFICATE-----'] })).toContain("at '/kafka/tls': additional properties 'ca' not allowed");
    expect(refused({ set: ['kafka.sasl.enabled=true', 'kafka.sasl.username=u', 'kafka.sasl.passwordSecretName=Not_A_Name'] })).toContain("at '/kafka/sasl/passwordSecretName'");
  });

  it('values that contradict each other (the templates check them)', () => {
    expect(refused({ set: ['kafka.tls.caSecretName=ci-connector-cluster-ca-cert'] })).toContain('kafka.tls.caSecretName is set but kafka.tls.enabled is false');
    expect(refused({ set: ['kafka.tls.clientCertSecretName=ci-connector-kafka-client'] })).toContain('kafka.tls.clientCertSecretName is set but kafka.tls.enabled is false');
    expect(refused({ set: ['kafka.sasl.passwordSecretName=ci-connector-kafka-user'] })).toContain('kafka.sasl.passwordSecretName is set but kafka.sasl.enabled is false');
    expect(refused({ set: ['sipSignaling.network.mode=service'] })).toContain('sipSignaling.network.advertisedAddress: service mode needs');
    expect(refused({ set: ['sipSignaling.sip.tls.enabled=true'] })).toContain('sipSignaling.sip.tls.secretName:');
    expect(refused({ set: ['rtpengine.portMin=40000', 'rtpengine.portMax=30000'] })).toContain('rtpengine.portMin: 40000 is above rtpengine.portMax 30000');
    expect(refused({ set: ['redis.existingSecret='] })).toContain('redis.host or redis.existingSecret');
    expect(refused({ set: ['apiKeys.secretName='] })).toContain('apiKeys.secretName:');
  });
});

describe('the assertions catch a broken chart', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'charts-broken-'));
    cpSync(CHART_DIR, join(dir, 'ci-connector'), { recursive: true, filter: (src) => !src.includes('/test/') && !src.endsWith('/test') });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Edits a template of the copy; the edit must change it (the test would prove nothing otherwise). */
  function edit(file: string, change: (text: string) => string) {
    const path = join(dir, 'ci-connector/templates', file);
    const before = readFileSync(path, 'utf8');
    const after = change(before);
    expect(after).not.toBe(before);
    writeFileSync(path, after);
  }

  const render = (set: string[] = []) => {
    const r = template({ chart: join(dir, 'ci-connector'), values: [REGION_FILE], set });
    expect(r.stderr).toBe('');
    return r.objects;
  };

  it('the untouched copy holds them (so the failures below come from the edits)', () => {
    const objects = render();
    expect([...drainProblems(objects), ...mediaProblems(objects), ...secretsProblems(objects), ...containerProblems(objects)]).toEqual([]);
  });

  it("sip-signaling's preStop hook removed", () => {
    edit('sip-signaling/deployment.yaml', (t) => t.replace(/ {10}lifecycle:\n(?: {12}.*\n)+/, ''));
    expect(drainProblems(render())).toEqual([expect.stringMatching(/sip-signaling has no preStop exec hook$/)]);
  });

  it("sip-signaling's termination grace period removed (the default 30 s would cut the drain)", () => {
    edit('sip-signaling/deployment.yaml', (t) => t.replace(/ {6}terminationGracePeriodSeconds: .*\n/, ''));
    expect(drainProblems(render())).toEqual([expect.stringMatching(/no terminationGracePeriodSeconds \(the default 30 s cuts the drain of 120s\)$/)]);
  });

  it('a container without resource limits', () => {
    edit('policy-sync-worker/deployment.yaml', (t) => t.replace('{{- toYaml $v.resources | nindent 12 }}', '{{- toYaml (omit $v.resources "limits") | nindent 12 }}'));
    expect(containerProblems(render())).toEqual([expect.stringMatching(/policy-sync-worker: no cpu limits$/), expect.stringMatching(/policy-sync-worker: no memory limits$/)]);
  });

  it('the Kafka SASL password passed by value instead of secretKeyRef', () => {
    edit('_helpers.tpl', (t) => t.replace(/(- name: KAFKA_SASL_PASSWORD\n) {2}valueFrom:\n {4}secretKeyRef:\n.*\n.*\n/, '$1  value: {{ $k.sasl.passwordKey | quote }}\n'));
    const problems = secretsProblems(render(['kafka.sasl.enabled=true', 'kafka.sasl.username=ci-connector', 'kafka.sasl.passwordSecretName=ci-connector-kafka-user']));
    expect(problems).toHaveLength(APPS.length);
    for (const p of problems) expect(p).toMatch(/env KAFKA_SASL_PASSWORD is not from a Secret \(secretKeyRef\)$/);
  });

  it('a Secret value rendered into an environment variable', () => {
    edit('widget-gateway/deployment.yaml', (t) => t.replace('{{- include "ci-connector.env.widgetTokenSecret" $ | nindent 12 }}', '- name: WIDGET_TOKEN_SECRET\n              value: "k3Jd9sLq2mZx8vNc4bTy7hGf1wRe5uPa"'));
    expect(secretsProblems(render())).toEqual([
      expect.stringMatching(/widget-gateway env WIDGET_TOKEN_SECRET is not from a Secret \(secretKeyRef\)$/),
      expect.stringMatching(/widget-gateway env WIDGET_TOKEN_SECRET holds a random-looking token/),
    ]);
  });
});

describe('the assertions catch wrong values', () => {
  it('key material put into a ConfigMap (the SIP tenants file)', () => {
    const r = template({ values: [REGION_FILE], setJson: ['sipSignaling.tenants={"tenants":{},"note":"-----BEGIN PRIVATE KEY-----\\nMIIE\\n-----END PRIVATE KEY-----"}'] });
    expect(r.ok).toBe(true);
    expect(secretsProblems(r.objects)).toEqual([expect.stringMatching(/ConfigMap\/ci-connector-sip-signaling-tenants: data.tenants.json holds a PEM block$/)]);
  });

  it('tells key material and credentials from ordinary configuration', () => {
    expect(keyLike('rediss://:s3cr3t@cache.example.net:6380/0')).toBe('a URL with a password');
    expect(keyLike('Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig')).toBe('a JWT');
    expect(keyLike('-----BEGIN CERTIFICATE-----')).toBe('a PEM block');
    expect(keyLike('k3Jd9sLq2mZx8vNc4bTy7hGf1wRe5uPa')).toMatch(/^a random-looking token/);
    for (const ordinary of ['sum(rate(ci_connector_recordings_started_total[5m])) by (recorder)', '6f1c0a52-0b7e-4c1e-9a59-1b1f5e0d2c3a', 'rediss://cache.example.net:6380/0', 'sip:pbx.fabrikam.example:5060;transport=tcp']) {
      expect(keyLike(ordinary)).toBeUndefined();
    }
  });

  it('rtpengine put on other nodes than sip-signaling', () => {
    const r = template({ values: [REGION_FILE], setJson: ['rtpengine.nodeSelector={"ci-connector.io/media":"rtp-only"}'] });
    expect(r.ok).toBe(true);
    expect(mediaProblems(r.objects)).toEqual([expect.stringMatching(/nodeSelector lacks the media label ci-connector.io\/media=rtp-only of rtpengine/)]);
  });

  it('sip-signaling pointed at another rtpengine port than the one rtpengine listens on', () => {
    const r = template({ values: [REGION_FILE], set: ['sipSignaling.rtpengine.port=2223'] });
    expect(mediaProblems(r.objects)).toEqual([expect.stringMatching(/RTPENGINE_PORT 2223 is not rtpengine's ng port 22222$/)]);
  });

  it('a `config` value reaches the app as its variable', () => {
    const r = template({ values: [REGION_FILE], set: ['sipSignaling.config.SIP_MAX_CALLS=20000', 'sipSignaling.config.SIP_UNKNOWN_TENANT=reject-403'] });
    const env = envOf(r.objects, 'sip-signaling');
    expect(env.get('SIP_MAX_CALLS')?.value).toBe('20000');
    expect(env.get('SIP_UNKNOWN_TENANT')?.value).toBe('reject-403');
    const gw = envOf(template({ values: [REGION_FILE], set: ['widgetGateway.config.WIDGET_DELIVERY=topic'] }).objects, 'widget-gateway');
    expect(gw.get('WIDGET_DELIVERY')?.value).toBe('topic');
  });
});
