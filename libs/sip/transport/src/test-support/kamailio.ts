import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TestPki } from './test-pki';

const run = promisify(execFile);
const MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules/';

export interface KamailioTls {
  cfgPath: string;
  pidFile: string;
  tlsPort: number;
  /** Kamailio's stderr so far (bounded). */
  log(): string;
  /** PIDs of every process started with our config (main and forked workers). */
  processes(): Promise<number[]>;
  /** TERM to the PID in the pid file, then waits until every process with our config is gone. */
  stop(): Promise<void>;
}

/**
 * kamailio.cfg for a TLS peer that demands a verified client certificate and
 * answers OPTIONS with 200, echoing what it saw of our certificate. In 5.6.3
 * $tls_peer_subject is <null>, hence the per-field variables (LOCAL-INFRA).
 */
function kamailioCfg(dir: string, tlsPort: number): string {
  return `#!KAMAILIO
debug=2
log_stderror=yes
listen=tls:127.0.0.1:${tlsPort}
enable_tls=yes
dns=no
rev_dns=no
auto_aliases=no
children=2
tcp_children=2
mpath="${MODULES}"
loadmodule "tls.so"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "textops.so"
loadmodule "xlog.so"
modparam("tls", "config", "${join(dir, 'tls.cfg')}")

request_route {
  if (is_method("OPTIONS")) {
    append_to_reply("X-TLS-Peer-CN: $tls_peer_subject_cn\\r\\nX-TLS-Peer-O: $tls_peer_subject_organization\\r\\nX-TLS-Issuer-CN: $tls_peer_issuer_cn\\r\\nX-TLS-Peer-Verified: $tls_peer_verified\\r\\nX-Proto: $proto\\r\\n");
    sl_send_reply("200", "OK");
    exit;
  }
  sl_send_reply("405", "Method Not Allowed");
}
`;
}

function tlsCfg(pki: TestPki): string {
  return `[server:default]
method = TLSv1.2+
verify_certificate = yes
require_certificate = yes
certificate = ${pki.server.certFile}
private_key = ${pki.server.keyFile}
ca_list = ${pki.ca.certFile}

[client:default]
method = TLSv1.2+
verify_certificate = yes
require_certificate = yes
ca_list = ${pki.ca.certFile}
`;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Writes the configs into `dir`, checks them with -c, and starts Kamailio as LOCAL-INFRA says. */
export async function startKamailioTls(dir: string, tlsPort: number, pki: TestPki): Promise<KamailioTls> {
  const cfgPath = join(dir, 'kamailio.cfg');
  const runDir = join(dir, 'run');
  const pidFile = join(runDir, 'kamailio.pid');
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(dir, 'tls.cfg'), tlsCfg(pki));
  writeFileSync(cfgPath, kamailioCfg(dir, tlsPort));
  await run('kamailio', ['-f', cfgPath, '-c'], { timeout: 20_000 }).catch((err: { stderr?: string }) => {
    throw new Error(`kamailio -c rejected ${cfgPath}:\n${err.stderr ?? String(err)}`);
  });

  let log = '';
  const child: ChildProcess = spawn('kamailio', ['-f', cfgPath, '-Y', runDir, '-P', pidFile, '-m', '64', '-M', '8', '-DD', '-E'], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-65_536)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const processes = async (): Promise<number[]> => {
    const out = await run('pgrep', ['-f', cfgPath]).catch(() => ({ stdout: '' }));
    return out.stdout.split('\n').filter(Boolean).map(Number);
  };
  const k: KamailioTls = {
    cfgPath,
    pidFile,
    tlsPort,
    log: () => log,
    processes,
    async stop() {
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) : child.pid;
      if (pid && child.exitCode === null) process.kill(pid, 'SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, 10_000)))]);
      clearTimeout(timer);
      await until('every Kamailio process to exit', async () => (await processes()).length === 0, 10_000).catch(async (err: unknown) => {
        // Our own forked workers, by PID, if the main process did not take them down.
        for (const left of await processes()) process.kill(left, 'SIGKILL');
        throw err;
      });
    },
  };
  try {
    await until('the Kamailio pid file', () => existsSync(pidFile), 10_000);
    await until(`Kamailio to accept TCP on 127.0.0.1:${tlsPort}`, () => canConnect(tlsPort), 10_000);
  } catch (err) {
    await k.stop();
    throw new Error(`${String(err)}\nkamailio stderr:\n${log}`);
  }
  return k;
}
