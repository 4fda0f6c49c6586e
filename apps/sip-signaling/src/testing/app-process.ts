import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, stackEndpoints, waitFor } from '@ci-connector/platform-testing';

// Test support for the integration specs: runs the BUILT app (nx builds it
// before int-test) as a child process on loopback, with the real rtpengine
// and Redis of deploy/local, and stops it by its PID.

const repo = join(__dirname, '../../../..');
const dist = join(repo, 'dist/sip-signaling/apps/sip-signaling/src');

export interface AppProcess {
  pid: number;
  /** The UDP and the TCP listener (same port number). */
  sipPort: number;
  /** http://127.0.0.1:<HTTP_PORT> (health, /calls, /drain). */
  http: string;
  /** GET /metrics (METRICS_PORT, a port of its own): the Prometheus text. */
  metrics(): Promise<string>;
  /** Everything it wrote to stdout/stderr so far (the last 2 MB). */
  output(): string;
  /** Still running, and /health/live answers 200. */
  alive(): Promise<boolean>;
  /** GET /calls. */
  calls(): Promise<{ callId: string; sipCallId: string; state: string; tenantId?: string; anchored: boolean }[]>;
  /** SIGTERM by PID, then the exit code (SIGKILL after 15 s: null). */
  stop(): Promise<number | null>;
  /** Its exit code once it exits (null when killed by a signal). */
  exited: Promise<number | null>;
  /** Still running. */
  running(): boolean;
}

export interface StartAppOptions {
  /** A folder of the test's own (the tenants file goes there). */
  work: string;
  /** The SIP_TENANTS_FILE content. */
  tenants: unknown;
  /** More variables (SIP_TLS_*, SIP_UNKNOWN_TENANT, …); they win over the defaults. */
  env?: Record<string, string>;
}

export async function startApp(opts: StartAppOptions): Promise<AppProcess> {
  const stack = stackEndpoints();
  const [sipPort, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const tenantsFile = join(opts.work, `tenants-${sipPort}.json`);
  writeFileSync(tenantsFile, JSON.stringify(opts.tenants));
  const child: ChildProcess = spawn(process.execPath, ['--enable-source-maps', '--import', join(dist, 'instrumentation.js'), join(dist, 'main.js')], {
    cwd: repo,
    env: {
      PATH: process.env['PATH'] ?? '',
      HTTP_PORT: String(httpPort),
      METRICS_PORT: String(metricsPort),
      SIP_UDP_PORT: String(sipPort),
      SIP_TCP_PORT: String(sipPort),
      SIP_TENANTS_FILE: tenantsFile,
      RTPENGINE_HOST: stack.rtpengineNg.host,
      RTPENGINE_PORT: String(stack.rtpengineNg.port),
      REDIS_URL: stack.redisUrl,
      REDIS_KEY_PREFIX: `ssint-${sipPort}:`,
      LOG_LEVEL: 'debug',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => (out = (out + String(d)).slice(-2_000_000)));
  child.stderr?.on('data', (d) => (out = (out + String(d)).slice(-2_000_000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const running = () => child.exitCode === null && child.signalCode === null;
  const http = `http://127.0.0.1:${httpPort}`;
  const app: AppProcess = {
    pid: child.pid ?? 0,
    sipPort,
    http,
    output: () => out,
    exited,
    running,
    alive: async () => running() && (await fetch(`${http}/health/live`).catch(() => undefined))?.status === 200,
    metrics: async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
    calls: async () => ((await (await fetch(`${http}/calls`)).json()) as { calls: Awaited<ReturnType<AppProcess['calls']>> }).calls,
    async stop() {
      if (running()) process.kill(app.pid, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), 15_000)))]);
      clearTimeout(timer);
      if (code !== 'late') return code;
      if (running()) process.kill(app.pid, 'SIGKILL');
      await exited;
      return null;
    },
  };
  try {
    // waitFor retries a throwing check: an exit is returned as a value to stop at once.
    const ready = await waitFor('sip-signaling ready', async () => (!running() ? 'exited' : (await fetch(`${http}/health/ready`).catch(() => undefined))?.status === 200 && 'ready'), 20_000, 100);
    if (ready === 'exited') throw new Error(`exited with ${String(child.exitCode ?? child.signalCode)}`);
  } catch (err) {
    await app.stop();
    throw new Error(`sip-signaling did not get ready (${String(err)}):\n${out.slice(-5000)}`);
  }
  return app;
}
