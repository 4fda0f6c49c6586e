import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitFor } from '@ci-connector/platform-testing';
import { metric } from './metric-def';
import { MetricsRegistry, MetricsServerError } from './metrics-registry';
import { createMetricsRegistry, serveMetrics } from './serve-metrics';
import { RTPENGINE_METRICS } from './catalogue';

// GET /metrics over real sockets on 127.0.0.1: served, refused with a clear
// message when the port is taken, released at shutdown; and the rtpengine names
// the dashboard reads checked against a real rtpengine's listen-http.

const registries: MetricsRegistry[] = [];
afterAll(async () => {
  await Promise.all(registries.map((r) => r.shutdown()));
});

function registry(port: number): MetricsRegistry {
  const r = new MetricsRegistry({ serviceName: 'svc', host: '127.0.0.1', port });
  registries.push(r);
  return r;
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}

describe('GET /metrics', () => {
  it('serves the Prometheus text of the registry on METRICS_HOST:METRICS_PORT, and nothing else', async () => {
    const port = await freePort();
    const r = registry(port);
    r.counter(metric({ name: 'test_served_total', kind: 'counter', help: 'Served', labels: ['outcome'] })).inc({ outcome: 'ok' }, 2);
    await r.start();
    expect(r.url).toBe(`http://127.0.0.1:${port}/metrics`);
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const body = await res.text();
    expect(body).toContain('# TYPE test_served_total counter\ntest_served_total{outcome="ok"} 2\n');
    expect(body).toMatch(/^process_resident_memory_bytes \d+$/m);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
    expect(r.health()).toEqual({ ok: true, url: `http://127.0.0.1:${port}/metrics` });
  });

  it('a port in use: one error naming the address and METRICS_PORT, the service goes on (degraded in readiness)', async () => {
    const port = await freePort();
    const taken = await listen(port);
    try {
      const lines: { level: string; obj: object; msg?: string }[] = [];
      const log = { info: (obj: object, msg?: string) => lines.push({ level: 'info', obj, ...(msg ? { msg } : {}) }), warn: () => undefined, error: (obj: object, msg?: string) => lines.push({ level: 'error', obj, ...(msg ? { msg } : {}) }) };
      const r = createMetricsRegistry({ serviceName: 'svc', host: '127.0.0.1', port }, log);
      registries.push(r);
      await expect(r.start()).rejects.toThrow(new MetricsServerError(`cannot serve metrics on 127.0.0.1:${port}: the port is in use by another process: set METRICS_PORT to a free port (or 0 to turn metrics off)`, 'EADDRINUSE'));
      await serveMetrics(r, log);
      expect(lines).toEqual([
        {
          level: 'error',
          obj: { code: 'EADDRINUSE' },
          msg: `cannot serve metrics on 127.0.0.1:${port}: the port is in use by another process: set METRICS_PORT to a free port (or 0 to turn metrics off); the service runs without metrics`,
        },
      ]);
      expect(r.health()).toMatchObject({ ok: true, degraded: true, error: expect.stringContaining(`127.0.0.1:${port}`) });
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('releases the port at shutdown (a restarted replica can bind it again)', async () => {
    const port = await freePort();
    const r = registry(port);
    await r.start();
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(200);
    await r.shutdown();
    expect(r.url).toBeUndefined();
    const again = await listen(port);
    await new Promise((resolve) => again.close(resolve));
  });
});

describe("rtpengine's own /metrics (listen-http)", () => {
  let child: ChildProcess | undefined;
  let work: string;
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('has every rtpengine metric the dashboard reads (the catalogue names are the real ones)', async () => {
    work = mkdtempSync(join(tmpdir(), 'obs-rtpengine-'));
    const [ng, http, media] = [await freePort(), await freePort(), await freePort()];
    const conf = join(work, 'rtpengine.conf');
    writeFileSync(
      conf,
      ['[rtpengine]', 'table = -1', 'interface = 127.0.0.1', `listen-ng = 127.0.0.1:${ng}`, `listen-http = 127.0.0.1:${http}`, `port-min = ${media}`, `port-max = ${media + 9}`, 'foreground = true', 'log-stderr = true', ''].join('\n'),
    );
    let out = '';
    child = spawn('rtpengine', [`--config-file=${conf}`, '--config-section=rtpengine'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d) => (out += String(d)));
    child.stderr?.on('data', (d) => (out += String(d)));
    const body = await waitFor(
      'rtpengine answering GET /metrics',
      async () => {
        if (child?.exitCode !== null) throw new Error(`rtpengine exited: ${out.slice(-2000)}`);
        const res = await fetch(`http://127.0.0.1:${http}/metrics`).catch(() => undefined);
        return res?.status === 200 ? await res.text() : undefined;
      },
      10_000,
      50,
    );
    const exposed = new Set([...body.matchAll(/^([a-z_][a-z0-9_]*)[{ ]/gm)].map((m) => m[1]));
    const missing = Object.values(RTPENGINE_METRICS)
      .map((d) => d.name)
      .filter((n) => !exposed.has(n));
    expect(missing).toEqual([]);
    expect(body).toMatch(/^rtpengine_packets_total\{type="userspace"\} \d+$/m);
  });
});
