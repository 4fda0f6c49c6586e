import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stackEndpoints, waitFor } from '@ci-connector/platform-testing';

// Runs the built app (nx builds it before this target) as an operator would.
const repo = join(__dirname, '../../..');
const dist = join(repo, 'dist/skeleton/apps/skeleton/src');

interface Run {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--enable-source-maps', '--import', join(dist, 'instrumentation.js'), join(dist, 'main.js')], {
    cwd: repo,
    env: { PATH: process.env['PATH'] ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: Run = { child, stdout: '', stderr: '', exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
  child.stdout!.on('data', (d) => (run.stdout += String(d)));
  child.stderr!.on('data', (d) => (run.stderr += String(d)));
  return run;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

describe('skeleton service', () => {
  const stack = stackEndpoints();
  const running: Run[] = [];
  afterEach(async () => {
    for (const r of running.splice(0)) {
      if (r.child.exitCode === null && r.child.signalCode === null) {
        r.child.kill('SIGKILL');
        await r.exited;
      }
    }
  });

  it('serves liveness and readiness on 127.0.0.1 with real Redis and Kafka, and shuts down cleanly on SIGTERM', async () => {
    const port = await freePort();
    const run = start({ HTTP_PORT: String(port), REDIS_URL: stack.redisUrl, KAFKA_BROKERS: stack.kafkaBrokers.join(','), REGION: 'uksouth' });
    running.push(run);
    const base = `http://127.0.0.1:${port}`;
    const ready = await waitFor('readiness 200', async () => {
      const r = await fetch(`${base}/health/ready`);
      return r.status === 200 ? ((await r.json()) as { checks: Record<string, { ok: boolean }> }) : undefined;
    }, 20_000, 100);
    expect(ready.checks).toMatchObject({ accepting: { ok: true }, redis: { ok: true }, kafka: { ok: true } });
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect(run.stdout).toContain(`"url":"http://127.0.0.1:${port}"`);
    expect(run.stdout).toContain('"region":"uksouth"');

    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.stdout).toMatch(/"reason":"SIGTERM".*"code":0.*"msg":"shut down"/);
    await expect(fetch(`${base}/health/live`)).rejects.toThrow();
  });

  it('is live but not ready, naming Redis, when Redis does not answer', async () => {
    const port = await freePort();
    const deadPort = await freePort();
    const run = start({ HTTP_PORT: String(port), REDIS_URL: `redis://127.0.0.1:${deadPort}` });
    running.push(run);
    const base = `http://127.0.0.1:${port}`;
    await waitFor('liveness', async () => (await fetch(`${base}/health/live`)).status === 200, 20_000, 100);
    const r = await fetch(`${base}/health/ready`);
    expect(r.status).toBe(503);
    const body = (await r.json()) as { checks: Record<string, { ok: boolean; error?: string }> };
    expect(body.checks['redis']?.ok).toBe(false);
    expect(body.checks['accepting']?.ok).toBe(true);
  });

  it('exits 78 before starting, with one message listing every bad variable', async () => {
    const run = start({ HTTP_PORT: 'eighty', LOG_LEVEL: 'loud', REDIS_URL: 'http://wrong', SHUTDOWN_TIMEOUT: 'soon' });
    running.push(run);
    expect(await run.exited).toBe(78);
    expect(run.stderr).toBe(
      [
        'skeleton: invalid configuration, 4 bad variables:',
        '  - HTTP_PORT: not a number (got "eighty"); expects a port number from 1 to 65535',
        '  - LOG_LEVEL: not one of the allowed values (got "loud"); expects one of fatal, error, warn, info, debug, trace, silent',
        '  - REDIS_URL: not a valid URL (got "http://wrong"); expects a URL (redis:// or rediss://)',
        '  - SHUTDOWN_TIMEOUT: not a duration (got "soon"); expects a duration such as 500ms, 10s, 5m or 1h (a bare number is ms)',
        '',
      ].join('\n'),
    );
    expect(run.stdout).toBe('');
  });
});
