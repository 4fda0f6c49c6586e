import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, waitFor } from '@ci-connector/platform-testing';

// Test support for integration specs (here and in later apps): runs the BUILT
// emulator (dist/ci-emulator, `nx build ci-emulator`) as a child process on
// loopback with a fresh test PKI, and talks HTTPS to it trusting that PKI's CA.

const root = resolve(__dirname, '../../../..');
const mintScript = join(root, 'apps/ci-emulator/scripts/mint-certs.sh');

export interface EmulatorProcess {
  /** https://127.0.0.1:<port> */
  url: string;
  httpsPort: number;
  sipPort: number;
  mediaPorts: { min: number; max: number };
  /** The test PKI (mint-certs.sh): ca.pem, carrier.pem, app.pem, … */
  certsDir: string;
  ca: Buffer;
  recordingsDir: string;
  pid: number;
  /** Everything the emulator wrote to stdout/stderr so far. */
  output(): string;
  /** JSON request over HTTPS trusting the test CA. */
  request(method: string, path: string, opts?: RequestOptions): Promise<HttpResult>;
  /** The exit code once it exited (null when killed by a signal), undefined while it runs. */
  exitCode(): number | null | undefined;
  /** SIGTERM by PID, wait for the exit (SIGKILL after 10 s), remove the temp folder unless keep. */
  stop(opts?: { keep?: boolean }): Promise<void>;
}

export interface RequestOptions {
  json?: unknown;
  /** application/x-www-form-urlencoded body. */
  form?: Record<string, string>;
  body?: string | Buffer;
  headers?: Record<string, string>;
  bearer?: string;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: Buffer;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface StartEmulatorOptions {
  /** Written to a file and passed as EMULATOR_CONFIG. */
  configFile?: unknown;
  env?: Record<string, string>;
  /** Extra client certificates to mint: [name, CN, O?]. */
  clients?: Array<[string, string, string?]>;
  /** An existing PKI folder instead of a fresh one. */
  certsDir?: string;
}

export function mintCerts(dir: string, ...args: string[]): void {
  execFileSync('bash', [mintScript, dir, ...args], { stdio: 'pipe' });
}

export async function startEmulator(opts: StartEmulatorOptions = {}): Promise<EmulatorProcess> {
  const work = mkdtempSync(join(tmpdir(), 'ci-emulator-'));
  const certsDir = opts.certsDir ?? join(work, 'certs');
  mintCerts(certsDir);
  for (const [name, cn, o] of opts.clients ?? []) mintCerts(certsDir, 'client', name, cn, ...(o ? [o] : []));
  const ca = readFileSync(join(certsDir, 'ca.pem'));
  const httpsPort = await freePort();
  const sipPort = await freePort();
  // Below Linux's ephemeral ports (32768+, where freePort and sipp's sockets land) and
  // the local stack's rtpengine range (30000-30999): 50 slots of 200 in 20000-29999.
  const base = 20000 + Math.floor(Math.random() * 50) * 200;
  const mediaPorts = { min: base, max: base + 199 };
  const recordingsDir = join(work, 'recordings');
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: process.env['HOME'] ?? work,
    HTTP_HOST: '127.0.0.1',
    HTTPS_PORT: String(httpsPort),
    SIP_HOST: '127.0.0.1',
    SIP_PORT: String(sipPort),
    MEDIA_HOST: '127.0.0.1',
    MEDIA_PORT_MIN: String(mediaPorts.min),
    MEDIA_PORT_MAX: String(mediaPorts.max),
    CERTS_DIR: certsDir,
    RECORDINGS_DIR: recordingsDir,
    LOG_LEVEL: 'debug',
    ...opts.env,
  };
  if (opts.configFile !== undefined) {
    const file = join(work, 'emulator.json');
    writeFileSync(file, JSON.stringify(opts.configFile, null, 2));
    env['EMULATOR_CONFIG'] = file;
  }
  const dist = join(root, 'dist/ci-emulator/apps/ci-emulator/src');
  const child: ChildProcess = spawn(process.execPath, ['--enable-source-maps', '--import', join(dist, 'instrumentation.js'), join(dist, 'main.js')], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  let exited: number | null | undefined;
  const exit = new Promise<void>((r) => child.once('exit', (code) => ((exited = code), r())));

  const url = `https://127.0.0.1:${httpsPort}`;
  const doRequest = (method: string, path: string, ro: RequestOptions = {}) => httpsJson(url, ca, method, path, ro);
  try {
    const ready = await waitFor(
      'the emulator to be ready',
      async () => {
        // waitFor swallows exceptions and keeps polling: report the exit as a value to stop at once.
        if (exited !== undefined) return 'exited' as const;
        const r = await doRequest('GET', '/health/ready').catch(() => undefined);
        return r?.status === 200 ? ('ready' as const) : undefined;
      },
      30_000,
      100,
    );
    if (ready === 'exited') throw new Error(`the emulator exited with ${String(exited)} before it was ready`);
  } catch (err) {
    child.kill('SIGKILL');
    if (child.pid !== undefined) await exit;
    rmSync(work, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n--- emulator output ---\n${out}`);
  }

  return {
    url,
    httpsPort,
    sipPort,
    mediaPorts,
    certsDir,
    ca,
    recordingsDir,
    pid: child.pid ?? -1,
    output: () => out,
    exitCode: () => exited,
    request: doRequest,
    async stop(so = {}) {
      if (exited === undefined && child.pid !== undefined) {
        process.kill(child.pid, 'SIGTERM');
        const timer = setTimeout(() => child.pid !== undefined && exited === undefined && process.kill(child.pid, 'SIGKILL'), 10_000);
        await exit;
        clearTimeout(timer);
      }
      if (!so.keep) rmSync(work, { recursive: true, force: true });
    },
  };
}

/** One HTTPS request trusting `ca`, with a JSON, form or raw body. */
export function httpsJson(baseUrl: string, ca: Buffer, method: string, path: string, ro: RequestOptions = {}): Promise<HttpResult> {
  const headers: Record<string, string> = { ...ro.headers };
  let payload: Buffer | undefined;
  if (ro.json !== undefined) {
    payload = Buffer.from(JSON.stringify(ro.json));
    headers['content-type'] ??= 'application/json';
  } else if (ro.form) {
    payload = Buffer.from(new URLSearchParams(ro.form).toString());
    headers['content-type'] ??= 'application/x-www-form-urlencoded';
  } else if (ro.body !== undefined) {
    payload = Buffer.isBuffer(ro.body) ? ro.body : Buffer.from(ro.body);
  }
  if (payload) headers['content-length'] = String(payload.length);
  if (ro.bearer) headers['authorization'] = `Bearer ${ro.bearer}`;
  const target = new URL(path, baseUrl);
  return new Promise((resolvePromise, reject) => {
    const req = request(target, { method, headers, ca, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        let json: unknown;
        try {
          json = text.length > 0 ? JSON.parse(text) : undefined;
        } catch {
          json = undefined;
        }
        resolvePromise({ status: res.statusCode ?? 0, headers: res.headers, text, body, json });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}
