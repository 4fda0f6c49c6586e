import { randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { deleteRedisKeys, freePort, runSipp, stackEndpoints, waitFor, type StackEndpoints } from '@ci-connector/platform-testing';
import { mintCerts } from '@ci-connector/ci-emulator-testing';
import { envExampleDefault, imageApps, repoRoot, repoVersion } from './images';
import { exec, podman, podmanOk } from './podman';

// The smoke test of issue 8: builds every image without a registry (build-all.sh:
// the local base, the traced contexts, buildah; images whose inputs did not change
// are reused), then runs each with podman (runc, host network, loopback only)
// against the local stack's Redis and Kafka: its HEALTHCHECK and GET /health/live
// answer, it becomes ready, PID 1 is tini and nothing runs as root, and SIGTERM
// (podman stop) ends it with exit 0 before podman would kill it. sip-signaling
// also answers sipp's OPTIONS with 200. Every container it started is removed.

const run = randomBytes(4).toString('hex');
/** Every Redis key, Kafka topic and group of this run starts with it. */
const prefix = `smoke-${run}`;
const runLabel = `io.ci-connector.smoke=${run}`;
const STOP_TIMEOUT_S = 30;

interface HttpAnswer {
  status: number;
  body: string;
}

function httpGetText(url: string, ca?: Buffer): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: import('node:http').IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    };
    const req = url.startsWith('https:') ? httpsGet(url, { ca, timeout: 3000 }, onResponse) : httpGet(url, { timeout: 3000 }, onResponse);
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 3 s`)));
    req.on('error', reject);
  });
}

interface Smoke {
  /** Environment of the container (the app's variables). */
  env: Record<string, string>;
  /** Base URL of its health endpoints, as seen from the host. */
  url: string;
  ca?: Buffer;
  volumes?: string[];
  /** More checks on the running container. */
  extra?: (name: string) => Promise<void>;
  cleanup?: () => void;
}

let stack: StackEndpoints;
const widgetSecret = randomBytes(32).toString('base64url');
const topic = (name: string) => `${prefix}.${name}`;

/** Per app: its configuration for the smoke run (unique topics, groups, keys and free ports). */
const setups: Record<string, () => Promise<Smoke>> = {
  'registration-service': async () => {
    const http = await freePort();
    return {
      env: {
        HTTP_PORT: String(http),
        GRPC_PORT: String(await freePort()),
        REDIS_URL: stack.redisUrl,
        REDIS_KEY_PREFIX: `${prefix}:`,
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        KAFKA_TENANTS_TOPIC: topic('tenants'),
        KAFKA_TOPIC_PARTITIONS: '1',
        CI_APP_CLIENT_ID: randomUUID(),
        CI_APP_CLIENT_SECRET: 'smoke-test-secret',
      },
      url: `http://127.0.0.1:${http}`,
    };
  },
  'policy-sync-worker': async () => {
    const http = await freePort();
    return {
      env: {
        HTTP_PORT: String(http),
        REDIS_URL: stack.redisUrl,
        REDIS_KEY_PREFIX: `${prefix}:`,
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        KAFKA_GROUP_ID: topic('policy-sync-worker'),
        KAFKA_TENANTS_TOPIC: topic('tenants'),
        KAFKA_POLICY_TOPIC: topic('policy'),
        KAFKA_TOPIC_PARTITIONS: '1',
        CI_APP_CLIENT_ID: randomUUID(),
        CI_APP_CLIENT_SECRET: 'smoke-test-secret',
      },
      url: `http://127.0.0.1:${http}`,
    };
  },
  'sip-signaling': async () => {
    const http = await freePort();
    const sip = await freePort();
    return {
      env: {
        HTTP_PORT: String(http),
        SIP_UDP_PORT: String(sip),
        SIP_TCP_PORT: String(sip),
        REDIS_URL: stack.redisUrl,
        REDIS_KEY_PREFIX: `${prefix}:`,
        RTPENGINE_HOST: stack.rtpengineNg.host,
        RTPENGINE_PORT: String(stack.rtpengineNg.port),
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        KAFKA_RECORDING_EVENTS_TOPIC: topic('recording-events'),
        KAFKA_RECORDING_CONTROL_TOPIC: topic('recording-control'),
        KAFKA_RECORDING_CONTROL_GROUP_PREFIX: topic('recording-control'),
        KAFKA_TOPIC_PARTITIONS: '1',
      },
      url: `http://127.0.0.1:${http}`,
      extra: async () => {
        const r = await runSipp({
          scenario: join(repoRoot, 'deploy/images/sipp/uac-options.xml'),
          remote: `127.0.0.1:${sip}`,
          localPort: await freePort(),
          controlPort: await freePort(),
          calls: 1,
          deadlineMs: 20_000,
        });
        if (r.code !== 0) throw new Error(`sipp's OPTIONS did not get its 200 (sipp exit ${r.code}): ${r.stderr.slice(-2000)}`);
        expect(r).toMatchObject({ code: 0, successful: 1, failed: 0, killedAtDeadline: false });
      },
    };
  },
  'call-events': async () => {
    const http = await freePort();
    return {
      env: {
        HTTP_PORT: String(http),
        GRPC_PORT: String(await freePort()),
        REDIS_URL: stack.redisUrl,
        REDIS_KEY_PREFIX: `${prefix}:`,
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        KAFKA_CALL_EVENTS_TOPIC: topic('call-events'),
        KAFKA_RECORDING_CONTROL_TOPIC: topic('recording-control'),
        KAFKA_TOPIC_PARTITIONS: '1',
        WIDGET_TOKEN_SECRET: widgetSecret,
      },
      url: `http://127.0.0.1:${http}`,
    };
  },
  'widget-gateway': async () => {
    const http = await freePort();
    return {
      env: {
        HTTP_PORT: String(http),
        REDIS_URL: stack.redisUrl,
        REDIS_KEY_PREFIX: `${prefix}:`,
        KAFKA_BROKERS: stack.kafkaBrokers.join(','),
        KAFKA_CALL_EVENTS_TOPIC: topic('call-events'),
        KAFKA_RECORDING_EVENTS_TOPIC: topic('recording-events'),
        KAFKA_WIDGET_EVENTS_TOPIC: topic('widget-events'),
        KAFKA_DEAD_LETTER_TOPIC: topic('dead-letters'),
        KAFKA_RECORDING_CONTROL_TOPIC: topic('recording-control'),
        KAFKA_CORRELATION_GROUP: topic('correlation'),
        KAFKA_DELIVERY_GROUP: topic('delivery'),
        KAFKA_TOPIC_PARTITIONS: '1',
        WIDGET_TOKEN_SECRET: widgetSecret,
      },
      url: `http://127.0.0.1:${http}`,
    };
  },
  'ci-emulator': async () => {
    // The test PKI, readable by the image's user (10001): a throwaway copy for this run.
    const certs = mkdtempSync(join(tmpdir(), 'images-smoke-certs-'));
    mintCerts(certs);
    for (const f of readdirSync(certs)) chmodSync(join(certs, f), 0o644);
    chmodSync(certs, 0o755);
    const https = await freePort();
    // Below Linux's ephemeral ports and the local stack's rtpengine range (as startEmulator does).
    const media = 20000 + Math.floor(Math.random() * 50) * 200;
    return {
      env: {
        HTTPS_PORT: String(https),
        SIP_PORT: String(await freePort()),
        MEDIA_PORT_MIN: String(media),
        MEDIA_PORT_MAX: String(media + 199),
      },
      volumes: [`${certs}:/certs:ro`],
      url: `https://127.0.0.1:${https}`,
      ca: readFileSync(join(certs, 'ca.pem')),
      extra: async (name) => {
        // The recorder validates SIPREC metadata with xmllint compiled to wasm in a worker thread
        // (loaded by computed paths nft cannot see): it must be in the image and work.
        const script = [
          "const { schemaErrors } = require('./apps/ci-emulator/src/recorder/metadata.js');",
          "const ns = 'urn:ietf:params:xml:ns:recording:1';",
          'Promise.all([',
          "  schemaErrors(`<recording xmlns='${ns}'><datamode>complete</datamode></recording>`),",
          "  schemaErrors(`<recording xmlns='${ns}'><nonsense/></recording>`),",
          ']).then((r) => { console.log(JSON.stringify(r)); process.exit(0); }, (e) => { console.error(e); process.exit(1); });',
        ].join('\n');
        const [valid, invalid] = JSON.parse(await podmanOk(['exec', name, 'node', '-e', script])) as [string[], string[]];
        expect(valid).toEqual([]);
        expect(invalid.join('\n')).toMatch(/nonsense/);
      },
      cleanup: () => rmSync(certs, { recursive: true, force: true }),
    };
  },
};

/** The processes in the container, read from /proc by node inside it (present on any Node base). */
async function processes(name: string): Promise<Array<{ pid: number; ppid: number; name: string; uid: number; exe: string | null }>> {
  const script = `const fs = require('fs'); const out = [];
for (const d of fs.readdirSync('/proc')) {
  if (!/^[0-9]+$/.test(d) || Number(d) === process.pid) continue;
  let s; try { s = fs.readFileSync('/proc/' + d + '/status', 'utf8'); } catch { continue; }
  const f = (k) => (new RegExp('^' + k + ':\\\\s+(\\\\S+)', 'm').exec(s) || [])[1];
  let exe = null; try { exe = fs.readlinkSync('/proc/' + d + '/exe'); } catch { exe = null; }
  out.push({ pid: Number(d), ppid: Number(f('PPid')), name: f('Name'), uid: Number(f('Uid')), exe });
}
console.log(JSON.stringify(out));`;
  return JSON.parse(await podmanOk(['exec', name, 'node', '-e', script])) as Array<{ pid: number; ppid: number; name: string; uid: number; exe: string | null }>;
}

async function logsOf(name: string): Promise<string> {
  const r = await podman(['logs', name]);
  return `${r.stdout}${r.stderr}`.split('\n').slice(-40).join('\n');
}

beforeAll(async () => {
  stack = stackEndpoints();
  // Builds what changed (a clean machine: apt installs, the base and every app's image;
  // rtpengine's is rtpengine.int-spec.ts's).
  const built = await exec('bash', [join(repoRoot, 'deploy/images/build-all.sh'), '--skip-app-build', ...imageApps()], 540_000);
  if (built.code !== 0) throw new Error(`deploy/images/build-all.sh failed (exit ${built.code}):\n${built.stderr.slice(-4000)}`);
}, 600_000);

afterAll(async () => {
  // Only what this run started: the containers carrying its label, its keys, topics and groups.
  const ids = (await podman(['ps', '-aq', '--filter', `label=${runLabel}`])).stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await podman(['rm', '-f', '-t', '0', ...ids]);
  if (!stack) return;
  const redis = new Redis(stack.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    await deleteRedisKeys(redis, `${prefix}:`);
  } finally {
    redis.disconnect();
  }
  const admin = new Kafka({ clientId: prefix, brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(`${prefix}.`));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
    const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(`${prefix}.`));
    if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}, 60_000);

describe.each(imageApps())('image ci-connector/%s', (app) => {
  const image = `localhost/ci-connector/${app}:${repoVersion()}`;

  it('is built on the requested base with its user, entrypoint, health check and version', async () => {
    const [config] = JSON.parse(await podmanOk(['image', 'inspect', image])) as Array<{
      Config: { User: string; Entrypoint: string[]; WorkingDir: string; Labels: Record<string, string>; ExposedPorts: Record<string, unknown> };
      Healthcheck?: { Test: string[] };
    }>;
    expect(config!.Config.User).toBe('10001:10001');
    expect(config!.Config.Entrypoint).toEqual(['tini', '--']);
    expect(config!.Config.WorkingDir).toBe('/app');
    expect(config!.Config.Labels['org.opencontainers.image.version']).toBe(repoVersion());
    expect(config!.Config.Labels['org.opencontainers.image.base.name']).toBe('localhost/ci-connector/node-base:24');
    expect(config!.Healthcheck?.Test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
  });

  it('runs as non-root under tini, answers its health checks, and exits 0 on SIGTERM', async () => {
    const smoke = await setups[app]!();
    const name = `${prefix}-${app}`;
    try {
      const metricsPort = await freePort();
      const env = { LOG_LEVEL: 'info', METRICS_HOST: '127.0.0.1', METRICS_PORT: String(metricsPort), ...smoke.env };
      await podmanOk([
        'run', '-d', '--name', name, '--label', runLabel, '--network', 'host',
        // the HEALTHCHECK is run below by `podman healthcheck run` (no systemd timers here)
        '--health-interval', 'disable',
        ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
        ...(smoke.volumes ?? []).flatMap((v) => ['-v', v]),
        image,
      ]);

      // The image's own HEALTHCHECK, then the same endpoint from the host, then readiness (Redis, Kafka).
      await waitFor(`${app}'s HEALTHCHECK`, async () => (await podman(['healthcheck', 'run', name])).code === 0, 60_000, 500).catch(async (err: Error) => {
        throw new Error(`${err.message}\n${app}'s output:\n${await logsOf(name)}`);
      });
      const live = await httpGetText(`${smoke.url}/health/live`, smoke.ca);
      expect(live.status).toBe(200);
      expect(JSON.parse(live.body)).toMatchObject({ status: 'ok' });
      await waitFor(`${app} ready`, async () => (await httpGetText(`${smoke.url}/health/ready`, smoke.ca)).status === 200, 60_000, 500).catch(async (err: Error) => {
        const ready = await httpGetText(`${smoke.url}/health/ready`, smoke.ca).catch((e: Error) => ({ status: 0, body: e.message }));
        throw new Error(`${err.message}: ${ready.status} ${ready.body}\n${app}'s output:\n${await logsOf(name)}`);
      });

      // The OpenTelemetry Prometheus exporter made it into the image (apps that document METRICS_PORT).
      if (envExampleDefault(app, 'METRICS_PORT') !== undefined) {
        const metrics = await httpGetText(`http://127.0.0.1:${metricsPort}/metrics`);
        expect(metrics.status).toBe(200);
        expect(metrics.body).toMatch(/^# TYPE \S+ (counter|gauge|histogram)$/m);
      }

      const procs = await processes(name);
      const pid1 = procs.find((p) => p.pid === 1);
      expect(pid1).toMatchObject({ name: 'tini' });
      const node = procs.find((p) => p.ppid === 1 && p.exe !== null && p.exe.endsWith('/node'));
      expect(node).toBeDefined();
      expect(node!.uid).toBe(10001);
      expect(procs.filter((p) => p.uid === 0)).toEqual([]);

      await smoke.extra?.(name);

      // SIGTERM reaches node through tini; podman would SIGKILL (exit 137) after STOP_TIMEOUT_S.
      await podmanOk(['stop', '-t', String(STOP_TIMEOUT_S), name], (STOP_TIMEOUT_S + 30) * 1000);
      const state = JSON.parse(await podmanOk(['inspect', '--format', '{{json .State}}', name])) as { Status: string; ExitCode: number; OOMKilled: boolean };
      const output = await logsOf(name);
      expect({ status: state.Status, exitCode: state.ExitCode, oom: state.OOMKilled }).toEqual({ status: 'exited', exitCode: 0, oom: false });
      expect(output).toMatch(/"reason":"SIGTERM".*"code":0.*"msg":"shut down"/);
    } finally {
      await podman(['rm', '-f', '-t', '0', name]);
      smoke.cleanup?.();
    }
  });
});
