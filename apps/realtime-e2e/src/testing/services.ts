import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { freePort, waitFor } from '@ci-connector/platform-testing';

// The BUILT services (nx builds them before int-test) as child processes on
// loopback, each started as `nx serve` starts it and stopped by its PID.

export const repoRoot = resolve(__dirname, '../../../..');
const distOf = (app: string) => join(repoRoot, 'dist', app, 'apps', app, 'src');

export interface ServiceProcess {
  name: string;
  pid: number;
  /** http://127.0.0.1:<HTTP_PORT> */
  http: string;
  httpPort: number;
  env: Record<string, string>;
  /** What it wrote to stdout/stderr (the last 4 MB). */
  output(): string;
  running(): boolean;
  /** SIGTERM by PID, then the exit code (SIGKILL after 15 s: null). */
  stop(): Promise<number | null>;
}

export interface StartOptions {
  /** Variables; HTTP_PORT is chosen here unless given. */
  env: Record<string, string>;
  /** Wait for GET /health/ready to answer 200 (default) or only for /health/live. */
  wait?: 'ready' | 'live';
  timeoutMs?: number;
}

export async function startService(app: 'call-events' | 'widget-gateway' | 'sip-signaling', opts: StartOptions): Promise<ServiceProcess> {
  const httpPort = opts.env['HTTP_PORT'] ? Number(opts.env['HTTP_PORT']) : await freePort();
  // REALTIME_SERVICE_NODE_OPTIONS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") reaches the services only: for profiling a benchmark.
  const nodeOptions = process.env['REALTIME_SERVICE_NODE_OPTIONS'];
  // METRICS_PORT=0: several services at once here; each would want the default 9464.
  const env = { PATH: process.env['PATH'] ?? '', LOG_LEVEL: 'info', METRICS_PORT: '0', ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}), ...opts.env, HTTP_PORT: String(httpPort) };
  const dist = distOf(app);
  const child: ChildProcess = spawn(process.execPath, ['--enable-source-maps', '--import', join(dist, 'instrumentation.js'), join(dist, 'main.js')], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-4_000_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r((exitCode = code))));
  const running = () => exitCode === undefined && child.exitCode === null && child.signalCode === null;
  const http = `http://127.0.0.1:${httpPort}`;
  const svc: ServiceProcess = {
    name: app,
    pid: child.pid ?? -1,
    http,
    httpPort,
    env,
    output: () => out,
    running,
    async stop() {
      if (running()) process.kill(svc.pid, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), 15_000)))]);
      clearTimeout(timer);
      if (code !== 'late') return code;
      if (running()) process.kill(svc.pid, 'SIGKILL');
      return exited;
    },
  };
  const path = opts.wait === 'live' ? '/health/live' : '/health/ready';
  try {
    await waitFor(
      `${app} ${opts.wait ?? 'ready'}`,
      async () => {
        if (!running()) return 'exited' as const;
        return (await fetch(`${http}${path}`).catch(() => undefined))?.status === 200 ? ('up' as const) : undefined;
      },
      opts.timeoutMs ?? 30_000,
      100,
    ).then((state) => {
      if (state === 'exited') throw new Error(`${app} exited with ${String(exitCode)} before it was ready`);
    });
  } catch (err) {
    await svc.stop();
    throw new Error(`${(err as Error).message}\n--- ${app} output ---\n${out.slice(-20_000)}`);
  }
  return svc;
}
