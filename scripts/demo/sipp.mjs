// sipp for the demo call: bound to loopback (signalling, media and its control
// socket, which binds 0.0.0.0:8888 otherwise), big socket buffers, stopped by
// its PID at a deadline (its own -timeout does not end a stuck call).
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DemoError } from './lib.mjs';

// Every sipp still running when this process ends (a failed demo) is killed with it,
// so none lingers holding the demo's ports.
const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** `n` different UDP ports free on 127.0.0.1 now (the kernel's choice; held together so they differ). */
export async function freeUdpPorts(n) {
  const sockets = await Promise.all(
    Array.from({ length: n }, async () => {
      const s = createSocket('udp4');
      await new Promise((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
      return s;
    }),
  );
  const ports = sockets.map((s) => s.address().port);
  await Promise.all(sockets.map((s) => new Promise((resolve) => s.close(() => resolve()))));
  return ports;
}

/** True when UDP 127.0.0.1:port can not be bound now (tried by binding it: only before sipp starts on it). */
export async function udpPortTaken(port) {
  const s = createSocket('udp4');
  return new Promise((resolve) => {
    s.once('error', () => resolve(true));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(false)));
  });
}

/** True when a socket is bound to UDP 127.0.0.1:port, read from /proc/net/udp (no bind: sipp may be binding it). */
export function udpPortBound(port) {
  const local = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return readFileSync('/proc/net/udp', 'utf8')
    .split('\n')
    .some((line) => line.trim().split(/\s+/)[1] === local);
}

/**
 * Starts one sipp running `scenario` for one call. Resolves, when sipp ends, with
 * { ok, code, killed, output } (ok: exit 0, i.e. the call succeeded).
 */
export async function runSipp({ scenario, localPort, controlPort, remote, keys = {}, extraArgs = [], deadlineMs }) {
  const dir = mkdtempSync(join(tmpdir(), 'ci-connector-demo-sipp-'));
  const args = [
    ...(remote ? [remote] : []),
    '-sf', scenario,
    '-i', '127.0.0.1', '-mi', '127.0.0.1', '-ci', '127.0.0.1', '-cp', String(controlPort),
    '-p', String(localPort), '-t', 'u1', '-m', '1',
    '-buff_size', '4194304', '-nostdin',
    '-trace_err', '-error_file', join(dir, 'errors.log'),
    ...Object.entries(keys).flatMap(([k, v]) => ['-key', k, v]),
    ...extraArgs,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let output = '';
    let killed = false;
    const keep = (d) => (output = (output + String(d)).slice(-20_000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, deadlineMs);
    child.on('error', (err) => {
      running.delete(child);
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      reject(new DemoError(`sipp could not be started (${err.message}): it comes with apt-get install sip-tester (bash deploy/local/stack.sh up installs it)`));
    });
    child.on('exit', (code) => {
      running.delete(child);
      clearTimeout(timer);
      const errors = readdirSync(dir).filter((f) => f.startsWith('errors')).map((f) => readFileSync(join(dir, f), 'utf8')).join('');
      rmSync(dir, { recursive: true, force: true });
      resolve({ ok: code === 0, code, killed, output: (output + errors).slice(-4000) });
    });
  });
}
