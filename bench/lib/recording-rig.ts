// The recording rig of the sip-signaling benchmarks: every real piece, private
// to the benchmark's network namespace (bench/lib/netns.ts), started and
// stopped by PID:
//   - redis-server (the recording policy: tenants and sellers, seeded here),
//   - rtpengine, same binary and config style as deploy/local/stack.sh writes,
//     with a wide port range; several "shards" behind an ng relay when one
//     process cannot hold the calls (bench/lib/ng-relay.ts),
//   - the BUILT ci-emulator as the recorder (startEmulator of
//     @ci-connector/ci-emulator-testing), one per region when one process
//     cannot hold the calls' media sockets,
//   - the BUILT sip-signaling (dist/sip-signaling) as `nx serve` runs it.
// Everything binds to the namespace's loopback. Every process can be pinned to
// a core (taskset -a -p), and its CPU time and memory are read from /proc.
//
// Knobs for looking into a run (environment of the benchmark command):
//   SS_BENCH_KEEP=1                    keep the work folder (logs of every process)
//   SS_BENCH_APP_LOG=<level>           sip-signaling's LOG_LEVEL (default info, as deployed)
//   SS_BENCH_APP_NODE_FLAGS=…          more Node flags for sip-signaling, e.g. "--trace-gc" (its log is kept with the rig's)
//   SS_BENCH_APP_ENV=K=V,K=V           more (or other) variables for sip-signaling, to compare settings
//   SS_BENCH_EMULATOR_LOG=<level>      the emulator's LOG_LEVEL (default warn)
//   SS_BENCH_EMULATOR_NODE_OPTIONS=…   e.g. "--cpu-prof --cpu-prof-dir=/dev/shm/p"
//                                      (read it with bench/lib/print-profile.ts)
//   SS_BENCH_TMPDIR=<dir>              TMPDIR inside the namespace (default /dev/shm)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { mintCerts, startEmulator, type EmulatorProcess } from '@ci-connector/ci-emulator-testing';
import { closeRedis, createRedisClient } from '@ci-connector/platform-redis';
import { freePort, waitFor } from '@ci-connector/platform-testing';
import { createPolicyStore, createRecordingPolicy, createTenantStore, identitiesOfUser } from '@ci-connector/recording-policy';
import { newTenant, parseTenantCreate, type RecorderRegion } from '@ci-connector/tenancy';
import { startNgRelay, type NgRelay } from './ng-relay';

export const repo = join(__dirname, '../..');
const ssDist = join(repo, 'dist/sip-signaling/apps/sip-signaling/src');
const APP = '4d4d4d4d-4444-4444-8444-444444444444';
/** The file descriptors one process may open here: the hard RLIMIT_NOFILE (no CAP_SYS_RESOURCE to raise it). */
export const FD_LIMIT = 20_000;
/** rtpengine (userspace) holds one socket per port: 8 per recorded call (A and B legs, two forked streams, RTP + RTCP). */
export const RTPENGINE_FDS_PER_CALL = 8;
/** The emulator: 4 sockets (RTP + RTCP of two streams) and 2 WAV files per recording. */
export const EMULATOR_FDS_PER_CALL = 6;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- /proc ------

/** utime + stime of a process (all its threads), in clock ticks (100 per second). */
export function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return NaN;
  }
}

export function memKiB(pid: number): { rss: number; hwm: number } {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
    return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
  } catch {
    return { rss: NaN, hwm: NaN };
  }
}

export function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

/** Pins every thread of a process to one core (or a list, "0,1"). */
export function pin(pid: number, cores: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { stdio: 'ignore' });
}

/** Datagrams the kernel dropped on full UDP receive buffers in this namespace (/proc/net/snmp RcvbufErrors). */
export function udpRcvbufErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const h = lines[0]?.split(/\s+/) ?? [];
  const v = lines[1]?.split(/\s+/) ?? [];
  return Number(v[h.indexOf('RcvbufErrors')]);
}

export function machine(): string {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['-C', repo, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', repo, 'status', '--porcelain', '--', 'apps/sip-signaling', 'apps/ci-emulator', 'libs'], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.length > 3);
    if (dirty.length) commit += ` + uncommitted changes in ${[...new Set(dirty.map((l) => l.slice(3).split('/').slice(0, 2).join('/')))].join(', ')}`;
  } catch {
    // not a git checkout
  }
  const c = cpus();
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  return `machine: nproc ${c.length}, ${c[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; node ${process.version}; commit ${commit}; load average before ${load}; ${new Date().toISOString()}`;
}

/** CPU use of several processes between two readings, as a share of one core. */
export class CpuMeter {
  private t0 = 0;
  private readonly ticks0 = new Map<string, number>();
  constructor(private readonly pids: () => Record<string, number>) {}
  start(): void {
    this.t0 = performance.now();
    for (const [name, pid] of Object.entries(this.pids())) this.ticks0.set(name, cpuTicks(pid));
  }
  /** name → share of one core over the interval. */
  read(): Record<string, number> {
    const secs = (performance.now() - this.t0) / 1000;
    const out: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids())) out[name] = (cpuTicks(pid) - (this.ticks0.get(name) ?? NaN)) / 100 / secs;
    return out;
  }
}

/** Whole-machine CPU (all processes, the namespace's and everyone else's), from /proc/stat. */
export class MachineCpu {
  private a = this.sample();
  private sample(): { busy: number; total: number } {
    const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/).slice(1).map(Number);
    const idle = (f[3] ?? 0) + (f[4] ?? 0);
    const total = f.reduce((x, y) => x + y, 0);
    return { busy: total - idle, total };
  }
  start(): void {
    this.a = this.sample();
  }
  /** Busy share of the whole machine (0..1 of all cores). */
  read(): number {
    const b = this.sample();
    return (b.busy - this.a.busy) / Math.max(1, b.total - this.a.total);
  }
}

// -------------------------------------------------------------- numbers ------

export const pct = (sorted: number[], p: number) => (sorted.length ? (sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] ?? NaN) : NaN);
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] ?? NaN) : ((s[s.length / 2 - 1] ?? NaN) + (s[s.length / 2] ?? NaN)) / 2;
};

export function argsOf(argv: string[]) {
  const opt = (name: string, dflt: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : dflt;
  };
  return { opt, flag: (name: string) => argv.includes(`--${name}`), num: (name: string, d: number) => Number(opt(name, String(d))) };
}

// ------------------------------------------------------------- the rig -------

export interface TenantSpec {
  id: string;
  accountId: string;
  region: RecorderRegion;
  /** E.164 prefix of its sellers' numbers; a seller is `${prefix}${4 digits}` (called-number match → Role inbound). */
  prefix: string;
  sellers: number;
}

export interface RigOptions {
  /** Concurrent recorded calls the rig must hold: decides rtpengine shards and emulators (file descriptor limit). */
  maxCalls: number;
  tenants?: number;
  sellersPerTenant?: number;
  /** Core(s) for sip-signaling and for everything else (taskset); undefined = not pinned. */
  appCore?: string;
  restCore?: string;
  /** Node flags for sip-signaling (e.g. --expose-gc) and a preload (-r). */
  appNodeFlags?: string[];
  appEnv?: Record<string, string>;
  /** Open an IPC channel to sip-signaling (for bench/lib/heap-probe.cjs). */
  appIpc?: boolean;
  /** The next hop of every tenant: the UAS leg (sipp or the bench's own). */
  uasPort: number;
  log?: (line: string) => void;
}

export interface Tracked {
  name: string;
  child: ChildProcess;
  pid: number;
  exited: Promise<number | null>;
}

const REGIONS: RecorderRegion[] = ['uksouth', 'westeurope', 'francecentral', 'eastus'];

export class RecordingRig {
  readonly work = mkdtempSync(join(tmpdir(), 'ss-bench-'));
  readonly tenants: TenantSpec[] = [];
  readonly rtpengines: { pid: number; ngPort: number; iface: string }[] = [];
  readonly emulators: EmulatorProcess[] = [];
  private readonly procs = new Set<Tracked>();
  private relay: NgRelay | undefined;
  redisUrl = '';
  redisPid = 0;
  ngPort = 0;
  app: (Tracked & { sipPort: number; httpPort: number; logFile: string }) | undefined;
  readonly prefix = `ssb:${randomBytes(3).toString('hex')}:`;
  private readonly certsDir = join(this.work, 'certs');
  private stopping = false;

  constructor(readonly o: RigOptions) {
    const n = o.tenants ?? Math.max(1, Math.ceil(o.maxCalls / 2_500));
    for (let i = 0; i < n; i++) {
      this.tenants.push({ id: randomUUID(), accountId: `AC${randomBytes(10).toString('hex')}`, region: REGIONS[i % REGIONS.length]!, prefix: `+4420794${6 + i}`, sellers: Math.min(10_000, o.sellersPerTenant ?? 10_000) });
    }
  }

  private log(line: string) {
    (this.o.log ?? ((l) => process.stderr.write(`${l}\n`)))(line);
  }

  /** A child process, stdout/stderr to a log file in the work folder, tracked for stop(). */
  spawnLogged(name: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv, ipc = false): Tracked & { logFile: string } {
    const logFile = join(this.work, `${name}.log`);
    const fd = openSync(logFile, 'a');
    const child = spawn(cmd, args, { cwd: repo, env: env ?? process.env, stdio: ipc ? ['ignore', fd, fd, 'ipc'] : ['ignore', fd, fd] });
    closeSync(fd);
    const t: Tracked & { logFile: string } = { name, child, pid: child.pid ?? -1, exited: new Promise((r) => child.once('exit', (c) => r(c))), logFile };
    this.procs.add(t);
    void t.exited.then(() => this.procs.delete(t));
    return t;
  }

  /** Every piece but sip-signaling: Redis (seeded), rtpengine(s), the emulator(s). */
  async startBackends(): Promise<void> {
    mintCerts(this.certsDir);
    await this.startRedis();
    await this.seed();
    const shards = Math.max(1, Math.ceil((this.o.maxCalls * RTPENGINE_FDS_PER_CALL) / (FD_LIMIT - 4_000)));
    for (let i = 0; i < shards; i++) await this.startRtpengine(i, shards);
    if (shards > 1) {
      this.relay = await startNgRelay(this.rtpengines.map((r) => ({ host: '127.0.0.1', port: r.ngPort })));
      this.ngPort = this.relay.port;
    } else this.ngPort = this.rtpengines[0]!.ngPort;
    await this.startEmulators();
  }

  private async startRedis(): Promise<void> {
    const port = await freePort();
    const dir = join(this.work, 'redis');
    mkdirSync(dir);
    const t = this.spawnLogged('redis', 'redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--protected-mode', 'yes']);
    this.redisPid = t.pid;
    this.redisUrl = `redis://127.0.0.1:${port}`;
    const r = createRedisClient({ url: this.redisUrl, connectionName: 'ss-bench-probe' });
    try {
      await waitFor('redis', async () => (await r.ping().catch(() => '')) === 'PONG', 10_000, 50);
    } finally {
      await closeRedis(r);
    }
    if (this.o.restCore) pin(t.pid, this.o.restCore);
  }

  /** Tenants in the tenant store, each with `sellers` recorded users (business phone = seller number). */
  private async seed(): Promise<void> {
    const redis = createRedisClient({ url: this.redisUrl, connectionName: 'ss-bench-seed' });
    try {
      const store = createTenantStore(redis, { prefix: this.prefix });
      for (const t of this.tenants) {
        const parsed = parseTenantCreate({
          id: t.id,
          orgId: randomUUID(),
          displayName: `bench ${t.region}`,
          region: t.region,
          accountId: t.accountId,
          certificate: { subject: 'CN=sbc.carrier.example', issuer: 'CN=ci-emulator test CA' },
          defaultCountry: 'GB',
        });
        if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));
        await store.create(newTenant(parsed.value, new Date()));
        const w = await createPolicyStore(redis, { prefix: this.prefix }).begin(t.id);
        const users = Array.from({ length: t.sellers }, (_, i) => ({ id: randomUUID(), businessPhones: [this.seller(t, i)] }));
        for (let i = 0; i < users.length; i += 1000) await w.add(users.slice(i, i + 1000).flatMap((u) => identitiesOfUser(u, 'GB').identities));
        await w.commit({ users: users.length });
      }
      await store.close();
      // Pre-flight: the first and last seller of each tenant are recorded as sip-signaling will ask.
      const policy = createRecordingPolicy(redis, { prefix: this.prefix });
      for (const t of this.tenants) {
        for (const i of [0, t.sellers - 1]) {
          if (!(await policy.isRecorded(t.id, `sip:${this.seller(t, i)}@127.0.0.1`))) throw new Error(`seeding: seller ${this.seller(t, i)} of tenant ${t.id} is not recorded`);
        }
      }
    } finally {
      await closeRedis(redis);
    }
  }

  seller(t: TenantSpec, i: number): string {
    return `${t.prefix}${String(i % t.sellers).padStart(4, '0')}`;
  }

  /** sipp injection file: one seller per line, tenants interleaved (SEQUENTIAL: call n → line n). */
  writeSellersCsv(): string {
    const file = join(this.work, 'sellers.csv');
    const lines = ['SEQUENTIAL'];
    const per = Math.max(...this.tenants.map((t) => t.sellers));
    for (let i = 0; i < per; i++) for (const t of this.tenants) if (i < t.sellers) lines.push(this.seller(t, i));
    writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  }

  private async startRtpengine(i: number, shards: number): Promise<void> {
    const ngPort = await freePort();
    const cliPort = await freePort();
    // One loopback address per shard: each gets the whole 10000-59999 range (in the namespace, 127.0.0.0/8 is ours).
    const iface = shards === 1 ? '127.0.0.1' : `127.0.0.${11 + i}`;
    const conf = join(this.work, `rtpengine-${i}.conf`);
    writeFileSync(
      conf,
      [
        '[rtpengine]',
        'table = -1',
        `interface = ${iface}`,
        `listen-ng = 127.0.0.1:${ngPort}`,
        `listen-cli = 127.0.0.1:${cliPort}`,
        'port-min = 10000',
        // alone on 127.0.0.1 it leaves 40000-59999 to the emulator; a shard has its own address and the whole range
        `port-max = ${shards === 1 ? 39999 : 59999}`,
        'foreground = true',
        'log-stderr = true',
        '',
      ].join('\n'),
    );
    const t = this.spawnLogged(`rtpengine-${i}`, 'rtpengine', [`--config-file=${conf}`, '--config-section=rtpengine']);
    await waitFor(`rtpengine ${i} (ng ${ngPort})`, () => ngAnswers(ngPort), 10_000, 100);
    if (this.o.restCore) pin(t.pid, this.o.restCore);
    this.rtpengines.push({ pid: t.pid, ngPort, iface });
  }

  private async startEmulators(): Promise<void> {
    const perEmulator = Math.floor((FD_LIMIT - 3_000) / EMULATOR_FDS_PER_CALL);
    const count = Math.min(this.tenants.length, Math.max(1, Math.ceil(this.o.maxCalls / perEmulator)));
    const configFile = {
      apps: [{ clientId: APP, displayName: 'carrier connector', secrets: ['s3cret'] }],
      tenants: this.tenants.map((t) => ({ tenantId: t.id, displayName: 'Contoso', consents: [{ clientId: APP, roles: ['Users.Read.All'] }], users: { generate: { count: 1 } } })),
      registrations: this.tenants.map((t) => ({
        tenantId: t.id,
        clientId: APP,
        orgId: randomUUID(),
        Type: 'custom',
        hosting: 'cloud',
        displayName: 'Example Carrier',
        AuthenticationDetails: { AccountId: t.accountId, CertificateSubjectName: 'sbc.carrier.example', CertificateIssuer: 'ci-emulator test CA', SourceIPNetwork: '127.0.0.1' },
      })),
    };
    for (let i = 0; i < count; i++) {
      const emu = await startEmulator({
        configFile,
        certsDir: this.certsDir,
        env: {
          LOG_LEVEL: process.env['SS_BENCH_EMULATOR_LOG'] ?? 'warn',
          ...(process.env['SS_BENCH_EMULATOR_NODE_OPTIONS'] ? { NODE_OPTIONS: process.env['SS_BENCH_EMULATOR_NODE_OPTIONS'] } : {}),
          MAX_RECORDINGS: '1000000',
          MEDIA_HOST: count === 1 ? '127.0.0.1' : `127.0.0.${21 + i}`,
          MEDIA_PORT_MIN: count === 1 ? '40000' : '10000',
          MEDIA_PORT_MAX: '59999',
        },
      });
      if (this.o.restCore) pin(emu.pid, this.o.restCore);
      this.emulators.push(emu);
    }
  }

  /** The recorder of each tenant: tenant i → emulator i mod count, by region. */
  recorderOverrides(): string {
    return this.tenants.map((t, i) => `${t.region}=127.0.0.1:${this.emulators[i % this.emulators.length]!.sipPort}`).join(',');
  }

  async startApp(): Promise<NonNullable<RecordingRig['app']>> {
    const [sipPort, httpPort] = [await freePort(), await freePort()];
    const tenantsFile = join(this.work, `tenants-${sipPort}.json`);
    writeFileSync(
      tenantsFile,
      JSON.stringify({
        tenants: Object.fromEntries(this.tenants.map((t) => [t.id, { match: { calledNumbers: [`${t.prefix}*`] }, nextHop: `sip:127.0.0.1:${this.o.uasPort}`, dialerCallIdHeader: 'X-Dialer-Call-Id' }])),
      }),
    );
    const env: NodeJS.ProcessEnv = {
      PATH: process.env['PATH'] ?? '',
      HTTP_PORT: String(httpPort),
      SIP_UDP_PORT: String(sipPort),
      SIP_TCP: 'false',
      SIP_TENANTS_FILE: tenantsFile,
      RTPENGINE_HOST: '127.0.0.1',
      RTPENGINE_PORT: String(this.ngPort),
      REDIS_URL: this.redisUrl,
      REDIS_KEY_PREFIX: this.prefix,
      LOG_LEVEL: process.env['SS_BENCH_APP_LOG'] ?? 'info',
      RECORDING_TLS_CERT_FILE: join(this.certsDir, 'carrier.pem'),
      RECORDING_TLS_KEY_FILE: join(this.certsDir, 'carrier-key.pem'),
      RECORDING_TLS_CA_FILE: join(this.certsDir, 'ca.pem'),
      RECORDING_SRC_DOMAIN: 'sbc.carrier.example',
      RECORDER_HOST_OVERRIDES: this.recorderOverrides(),
      RECORDER_GLOBAL_FALLBACK: 'false',
      ...this.o.appEnv,
      // SS_BENCH_APP_ENV="K=V,K=V": settings to compare (e.g. SIP_T1=100ms)
      ...Object.fromEntries((process.env['SS_BENCH_APP_ENV'] ?? '').split(',').filter(Boolean).map((kv) => kv.split(/=(.*)/s).slice(0, 2) as [string, string])),
    };
    const extraFlags = (process.env['SS_BENCH_APP_NODE_FLAGS'] ?? '').split(/\s+/).filter(Boolean);
    const args = [...(this.o.appNodeFlags ?? []), ...extraFlags, '--enable-source-maps', '--import', join(ssDist, 'instrumentation.js'), join(ssDist, 'main.js')];
    const t = this.spawnLogged(`sip-signaling-${sipPort}`, process.execPath, args, env, this.o.appIpc);
    const app = { ...t, sipPort, httpPort };
    this.app = app;
    await waitFor(
      'sip-signaling ready',
      async () => {
        if (t.child.exitCode !== null) throw new Error(`sip-signaling exited ${t.child.exitCode}:\n${readFileSync(t.logFile, 'utf8').slice(-3000)}`);
        return (await fetch(`http://127.0.0.1:${httpPort}/health/ready`).catch(() => undefined))?.status === 200;
      },
      30_000,
      100,
    ).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${readFileSync(t.logFile, 'utf8').slice(-3000)}`);
    });
    if (this.o.appCore) pin(t.pid, this.o.appCore);
    return app;
  }

  async stopApp(): Promise<number | null> {
    const app = this.app;
    if (!app) return null;
    this.app = undefined;
    if (app.child.exitCode !== null || app.child.signalCode !== null) return app.child.exitCode;
    app.child.kill('SIGTERM');
    const t = setTimeout(() => app.child.kill('SIGKILL'), 15_000);
    const code = await app.exited;
    clearTimeout(t);
    return code;
  }

  /** sip-signaling's process.memoryUsage() after three full GCs (needs appIpc, --expose-gc and bench/lib/heap-probe.cjs). */
  appHeap(): Promise<NodeJS.MemoryUsage> {
    const child = this.app?.child;
    if (!child?.send) return Promise.reject(new Error('sip-signaling has no IPC channel'));
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no heap reading from sip-signaling in 30 s')), 30_000);
      child.once('message', (m: { heap?: NodeJS.MemoryUsage; gc?: boolean }) => {
        clearTimeout(t);
        if (!m.gc) reject(new Error('sip-signaling runs without --expose-gc'));
        else if (m.heap) resolve(m.heap);
      });
      child.send('heap');
    });
  }

  async appJson(path: string): Promise<any> { // eslint-disable-line @typescript-eslint/no-explicit-any
    if (!this.app) throw new Error('sip-signaling is not running');
    const r = await fetch(`http://127.0.0.1:${this.app.httpPort}${path}`);
    return r.json();
  }

  /** Every recording at every emulator (summaries) and the rejections. */
  async recordings(): Promise<{ recordings: { callId: string; state: string; tenantId: string | null }[]; rejections: { rule: string; reason: string; callId?: string }[] }> {
    const recordings = [];
    const rejections = [];
    for (const e of this.emulators) {
      recordings.push(...((await e.request('GET', '/emulator/recordings')).json?.recordings ?? []));
      rejections.push(...((await e.request('GET', '/emulator/recorder/rejections')).json?.rejections ?? []));
    }
    return { recordings, rejections };
  }

  async clearRecordings(): Promise<void> {
    for (const e of this.emulators) {
      await e.request('DELETE', '/emulator/recordings');
      await e.request('DELETE', '/emulator/recorder/rejections');
    }
  }

  /**
   * sip-signaling's log from `fromByte`: the recording events by distinct call
   * (each is logged twice: the session's line and the logging publisher's), the
   * calls with recording.failed, and the warn/error lines by message.
   */
  static countLog(logFile: string, fromByte = 0): { failedCalls: Set<string>; counts: Record<string, number>; size: number } {
    const buf = readFileSync(logFile);
    const text = buf.subarray(fromByte).toString('utf8');
    const counts: Record<string, number> = {};
    const failedCalls = new Set<string>();
    const seen = new Set<string>();
    for (const line of text.split('\n')) {
      const msg = /"msg":"([^"]*)"/.exec(line)?.[1];
      if (msg === undefined) continue;
      if (/^recording\.(started|stopped|failed|paused|resumed)$/.test(msg)) {
        const callId = /"callId":"([^"]*)"/.exec(line)?.[1] ?? '';
        if (seen.has(`${msg} ${callId}`)) continue;
        seen.add(`${msg} ${callId}`);
        counts[msg] = (counts[msg] ?? 0) + 1;
        if (msg === 'recording.failed') failedCalls.add(callId);
        continue;
      }
      const level = /"level":"(warn|error|fatal)"/.exec(line)?.[1];
      if (level) counts[`${level}: ${msg}`] = (counts[`${level}: ${msg}`] ?? 0) + 1;
    }
    return { failedCalls, counts, size: buf.length };
  }

  /** The processes whose CPU the benchmarks report. */
  pids(): Record<string, number> {
    const out: Record<string, number> = {};
    if (this.app) out['sip-signaling'] = this.app.pid;
    this.rtpengines.forEach((r, i) => (out[this.rtpengines.length > 1 ? `rtpengine-${i}` : 'rtpengine'] = r.pid));
    this.emulators.forEach((e, i) => (out[this.emulators.length > 1 ? `emulator-${i}` : 'emulator'] = e.pid));
    out['redis'] = this.redisPid;
    return out;
  }

  /** Stops everything by PID (sip-signaling first, so its BYEs reach the recorder), removes the work folder. */
  async stop(opts: { keepWork?: boolean } = { keepWork: process.env['SS_BENCH_KEEP'] === '1' }): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    await this.stopApp().catch(() => undefined);
    await this.relay?.close();
    for (const [i, e] of this.emulators.entries()) {
      if (opts.keepWork) writeFileSync(join(this.work, `emulator-${i}.log`), e.output());
      await e.stop({ keep: !!opts.keepWork }).catch(() => undefined);
    }
    for (const t of [...this.procs]) {
      if (t.child.exitCode === null && t.child.signalCode === null) t.child.kill('SIGTERM');
      const timer = setTimeout(() => t.child.kill('SIGKILL'), 5_000);
      await t.exited;
      clearTimeout(timer);
    }
    if (!opts.keepWork) rmSync(this.work, { recursive: true, force: true });
    else this.log(`kept ${this.work} (SS_BENCH_KEEP=1)`);
  }

  /** Kill at once (Ctrl-C): everything by PID, no waiting. */
  killAll(): void {
    for (const t of this.procs) t.child.kill('SIGKILL');
    for (const e of this.emulators) {
      try {
        process.kill(e.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(this.work, { recursive: true, force: true });
  }
}

/** rtpengine answers an ng ping (bencode `d7:command4:pinge`). */
async function ngAnswers(port: number): Promise<boolean> {
  const { createSocket } = await import('node:dgram');
  const s = createSocket('udp4');
  try {
    return await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 300);
      s.once('message', (m) => {
        clearTimeout(t);
        resolve(m.toString().includes('pong'));
      });
      s.send(Buffer.from('probe1 d7:command4:pinge'), port, '127.0.0.1', (err) => err && resolve(false));
    });
  } finally {
    s.close();
  }
}

/** Ctrl-C / SIGTERM inside the namespace: kill what the rig started (by PID) and exit. */
export function stopOnSignal(rigs: () => (RecordingRig | undefined)[], extra: () => void = () => undefined): void {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      extra();
      for (const r of rigs()) r?.killAll();
      process.exit(130);
    });
  }
}

export { sleep };
