import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// deploy/local/stack.sh as an operator meets it, in a work folder and on ports of
// this test's own, so the stack the other tests use is not touched.
const script = join(__dirname, '../../../deploy/local/stack.sh');

function listen(port = 0): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => resolve(s));
  });
}
const portOf = (s: Server) => (s.address() as { port: number }).port;
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => listen()));
  const ports = servers.map(portOf);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', [script, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('deploy/local/stack.sh', () => {
  let work: string;
  let env: Record<string, string>;
  beforeEach(async () => {
    work = mkdtempSync(join(tmpdir(), 'stack-check-'));
    const [redis, kafka, controller, ng, cli] = await freePorts(5);
    env = {
      CI_CONNECTOR_WORK: work,
      CI_REDIS_PORT: String(redis),
      CI_KAFKA_PORT: String(kafka),
      CI_KAFKA_CONTROLLER_PORT: String(controller),
      CI_RTPENGINE_NG_PORT: String(ng),
      CI_RTPENGINE_CLI_PORT: String(cli),
      CI_RTPENGINE_PORT_MIN: '41000',
      CI_RTPENGINE_PORT_MAX: '41099',
    };
  });
  afterEach(async () => {
    // Should a check fail half-way, whatever it started stops here, by its PID files.
    await run(['down'], env);
    rmSync(work, { recursive: true, force: true });
  });

  it('refuses to start when a port is taken, naming the port and its owner, and starts nothing', async () => {
    const squatter = await listen(Number(env['CI_REDIS_PORT']));
    try {
      const r = await run(['up'], env);
      expect(r.code).not.toBe(0);
      // The owner's name is the kernel's (for Node 24 its main thread, "MainThread"); the pid is ours.
      expect(r.stderr).toMatch(new RegExp(`redis: tcp port ${env['CI_REDIS_PORT']} on 127\\.0\\.0\\.1 is already taken by \\S+ \\(pid ${process.pid}\\), not by this stack`));
      expect(r.stderr).toContain('nothing was started');
      for (const c of ['redis', 'kafka', 'rtpengine']) expect(existsSync(join(work, 'stack', c, `${c}.pid`))).toBe(false);
    } finally {
      await new Promise((r) => squatter.close(r));
    }
  });

  it('reports a PID file whose process is gone as stale, and status exits 3', async () => {
    const gone = spawnSync('bash', ['-c', 'echo $$']).stdout.toString().trim();
    mkdirSync(join(work, 'stack', 'redis'), { recursive: true });
    writeFileSync(join(work, 'stack', 'redis', 'redis.pid'), `${gone}\n`);
    const r = await run(['status'], env);
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(new RegExp(`redis\\s+stale\\s+${gone}\\s`));
    expect(r.stdout).toMatch(/kafka\s+stopped/);
  });

  it('rejects an unknown command with its usage', async () => {
    const r = await run(['sideways'], env);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/usage/i);
  });
});
