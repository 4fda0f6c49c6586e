/**
 * Call throughput of our SIP stack as a UAS, on one core, against sipp's
 * built-in `uac` scenario over UDP loopback:
 *   INVITE → (180) → 200 → ACK → BYE → 200, no pause (`-d 0`).
 *
 *   node --experimental-transform-types --no-warnings bench/sip-calls.bench.ts \
 *     [--rates 250,500,750,1000,1250,1500] [--duration 20] [--runs 3] [--no-180] \
 *     [--warmup 1000] [--profile <rate>] [--rcvbuf <bytes>] [--t1 <ms>] [--uas-node-flags '<flags>']
 *     [--uas-core 1] [--sipp-core 0]
 *
 * (from the workspace root, after `source scripts/node-env.sh`.)
 *
 * - The libraries are compiled with SWC into a temporary directory first
 *   (bench/build-libs.mjs, the same transform as tools/build.mjs), so the UAS runs
 *   the JavaScript the apps ship; the UAS is bench/sip-uas-child.cjs, started
 *   with `taskset -c <uas-core> node …`; sipp runs under `taskset -c <sipp-core>`.
 * - A fresh UAS process per run (no transactions left over from the previous
 *   rate: Timers J and L keep them 32 s over UDP), warmed up by `--warmup` calls
 *   (default 1,000 at 500/s, not measured: JIT) before the measured sipp run.
 * - Each run sends rate × duration calls at a fixed rate (`-r`, `-m`); sipp is
 *   killed at duration + 30 s whatever it is doing.
 * - Response time: sipp's `-trace_rtt` file, one sample per call: the time from
 *   sending the INVITE to receiving its 200 (the built-in uac's `rtd="true"`,
 *   ResponseTime1). sipp's clock ticks every 4 ms here, so samples come in 4 ms
 *   steps (0, 4, 8 …): "p99 < 20 ms" means p99 ≤ 16 ms.
 * - CPU: utime+stime of the UAS process from /proc/<pid>/stat over the sipp run,
 *   as a share of one core. RSS: VmRSS at the end and VmHWM (peak).
 * - A rate passes when every run had 0 failed calls, every call answered and
 *   p99 < 20 ms. Target (issue): ≥ 500 calls/s on one core, p99 < 20 ms, 0 failed.
 *
 * - Also printed, from the UAS: GC pauses (count, total, longest, mark-compacts)
 *   and event-loop delay (p99, max) over the sipp run, heapUsed and the
 *   transactions still held at the end (Timers J/L), CPU per thread name
 *   (MainThread, V8Worker = V8's GC helper threads, pinned to the same core), the
 *   share of the run the main thread was runnable but waiting for its core
 *   (/proc/<pid>/task/<tid>/schedstat: the V8 workers, other processes, the VM
 *   host), and the system-wide UDP RcvbufErrors delta (/proc/net/snmp: datagrams
 *   dropped on full socket buffers). For the four seconds with the most answers
 *   ≥ 20 ms: the GC pauses, what each thread ran and how long the main thread
 *   waited, in that second.
 *
 * `--rcvbuf <bytes>` is an experiment: the UAS child wraps dgram.createSocket to
 * give the stack's UDP socket that SO_RCVBUF (the library sets none).
 * `--t1 <ms>` is another experiment: the UAS's T1 (default 500 ms), so Timers
 * L and J (64*T1) hold finished transactions for less time: not a setting to
 * deploy (it changes every retransmission timer), a way to see what the held
 * memory costs in latency.
 * `--uas-node-flags '<flags>'` passes Node/V8 flags to the UAS process (e.g. GC sizing).
 * `--profile <rate>` adds one run at that rate with the UAS under `node --cpu-prof`
 * and prints the functions with the most self time (the profile file is kept).
 * Never a test: the figures go to docs/performance.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { buildLibs } from './build-libs.mjs';
import { hotspots } from './lib/profile.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : dflt;
};
const rates = opt('rates', '250,500,750,1000,1250,1500').split(',').map(Number);
const durationS = Number(opt('duration', '20'));
const warmupCalls = Number(opt('warmup', '1000'));
const runs = Number(opt('runs', '3'));
const with180 = !args.includes('--no-180');
const profileRate = args.includes('--profile') ? Number(opt('profile', '1000')) : undefined;
const rcvbuf = args.includes('--rcvbuf') ? opt('rcvbuf', '4194304') : undefined;
const t1 = args.includes('--t1') ? opt('t1', '500') : undefined;
const uasNodeFlags = args.includes('--uas-node-flags') ? opt('uas-node-flags', '').split(' ').filter(Boolean) : [];
const uasCore = opt('uas-core', '1');
const sippCore = opt('sipp-core', '0');
const CLK_TCK = 100; // getconf CLK_TCK on Linux x86-64

interface RunResult {
  rate: number;
  attempted: number;
  successful: number;
  failed: number;
  retransmissions: number;
  unexpected: number;
  achieved: number;
  p50: number;
  p99: number;
  max: number;
  samples: number;
  slow: [number, number][];
  gcInSlowSeconds: string[];
  sippCpu: number;
  cpu: number;
  /** Share of the run the UAS main thread was runnable but not running. */
  runDelay: number;
  threads: Record<string, number>;
  rssMiB: number;
  hwmMiB: number;
  uas: { invites: number; answered: number; ended: Record<string, number>; dialogs: number; transactions: number; errors: number; sendErrors: number; heapUsed: number };
  gc: { count: number; totalMs: number; maxMs: number; major: number; majorMs: number };
  loopDelayMs: { p50: number; p99: number; max: number };
  killed: boolean;
  udpRcvbufErrors: number;
}

/** Children to kill, and temporary directories to remove, if this process is interrupted. */
const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    for (const c of children) c.kill('SIGKILL');
    for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
    process.exit(130);
  });
}
function track(c: ChildProcess): ChildProcess {
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
  const { port } = s.address();
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
}

/** CPU ticks per thread name (MainThread, V8 workers, libuv …) of a process. */
function threadTicks(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(name, (out.get(name) ?? 0) + Number(f[11]) + Number(f[12]));
    } catch {
      // thread gone
    }
  }
  return out;
}

function memKiB(pid: number): { rss: number; hwm: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
  return { rss: kib('VmRSS'), hwm: kib('VmHWM') };
}

/**
 * Time the UAS's main thread spent runnable but waiting for its core (ns, from
 * /proc/<pid>/task/<tid>/schedstat): other processes on the core, the UAS's own
 * V8 worker threads pinned with it, or the VM's host.
 */
/** Per thread name: CPU time run and time waiting on the run queue (ns), from schedstat. */
function threadSched(pid: number): Map<string, { run: number; wait: number }> {
  const out = new Map<string, { run: number; wait: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const comm = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim().replace(/\d+$/, '');
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
      const o = out.get(comm) ?? { run: 0, wait: 0 };
      out.set(comm, { run: o.run + run!, wait: o.wait + wait! });
    } catch {
      // thread gone
    }
  }
  return out;
}

function mainThreadRunDelayNs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(/\s+/);
  return Number(f[1]);
}

function udpRcvbufErrors(): number {
  const lines = readFileSync('/proc/net/snmp', 'utf8').split('\n').filter((l) => l.startsWith('Udp:'));
  const h = lines[0]!.split(/\s+/);
  const v = lines[1]!.split(/\s+/);
  return Number(v[h.indexOf('RcvbufErrors')]);
}

interface Uas {
  child: ChildProcess;
  pid: number;
  port: number;
  command(cmd: string): Promise<any>;
  stop(): Promise<void>;
}

async function startUas(buildDir: string, profileDir?: string): Promise<Uas> {
  const port = await freeUdpPort();
  const nodeArgs = [...uasNodeFlags, ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])];
  const child = track(spawn('taskset', ['-c', uasCore, process.execPath, ...nodeArgs, join(import.meta.dirname, 'sip-uas-child.cjs'), buildDir, String(port), ...(with180 ? [] : ['--no-180']), ...(rcvbuf ? ['--rcvbuf', rcvbuf] : []), ...(t1 ? ['--t1', t1] : [])], {
    stdio: ['pipe', 'pipe', 'inherit'],
  }));
  const lines = createInterface({ input: child.stdout! });
  const waiters: ((line: string) => void)[] = [];
  lines.on('line', (l) => waiters.shift()?.(l));
  const next = () => new Promise<string>((res, rej) => {
    const t = setTimeout(() => rej(new Error('UAS did not answer')), 10_000);
    waiters.push((l) => {
      clearTimeout(t);
      res(l);
    });
  });
  const ready = await next();
  if (!ready.startsWith('ready ')) throw new Error(`UAS: ${ready}`);
  const exited = new Promise<void>((res) => child.once('exit', () => res()));
  return {
    child,
    pid: child.pid!,
    port,
    async command(cmd) {
      const p = next();
      child.stdin!.write(`${cmd}\n`);
      return JSON.parse(await p);
    },
    async stop() {
      child.stdin!.end('exit\n');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** Runs sipp uac; `cpu.ticks` follows its utime+stime (sampled every 250 ms while it runs). */
function runSipp(remotePort: number, rate: number, calls: number, dir: string, cpu: { ticks: number }): Promise<{ killed: boolean; pid: number }> {
  return Promise.all([freeUdpPort(), freeUdpPort()]).then(([localPort, controlPort]) => new Promise((resolve, reject) => {
    const sippArgs = [
      '-c', sippCore, 'sipp', `127.0.0.1:${remotePort}`, '-sn', 'uac',
      '-i', '127.0.0.1', '-mi', '127.0.0.1', '-ci', '127.0.0.1', '-cp', String(controlPort), '-p', String(localPort),
      '-t', 'u1', '-m', String(calls), '-r', String(rate), '-rp', '1000', '-d', '0',
      '-buff_size', '4194304', '-nostdin',
      '-trace_stat', '-stf', join(dir, 'stats.csv'), '-fd', '1',
      '-trace_rtt', '-rtt_freq', '1', // sipp drops the samples after the last full batch of rtt_freq
      '-trace_err', '-error_file', join(dir, 'errors.log'),
    ];
    const child = track(spawn('taskset', sippArgs, { cwd: dir, stdio: ['ignore', 'ignore', 'ignore'] }));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, (calls / rate + 30) * 1000);
    const sampler = setInterval(() => {
      try {
        cpu.ticks = cpuTicks(child.pid!);
      } catch {
        // exited
      }
    }, 250);
    child.on('error', (e) => {
      clearTimeout(timer);
      clearInterval(sampler);
      reject(e);
    });
    child.on('exit', () => {
      clearTimeout(timer);
      clearInterval(sampler);
      resolve({ killed, pid: child.pid! });
    });
  }));
}

function lastStats(csv: string): Record<string, string> {
  const lines = csv.trim().split('\n');
  const h = lines[0]!.split(';');
  const v = lines[lines.length - 1]!.split(';');
  return Object.fromEntries(h.map((k, i) => [k, v[i] ?? '']));
}

const epoch = (field: string) => Number(field.split('\t').pop());
const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)]! : NaN);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function oneRun(buildDir: string, rate: number, profileDir?: string): Promise<RunResult> {
  const calls = Math.round(rate * durationS);
  const dir = mkdtempSync(join(tmpdir(), 'sip-calls-'));
  tempDirs.add(dir);
  const uas = await startUas(buildDir, profileDir);
  try {
    if (warmupCalls > 0) {
      const warmDir = mkdtempSync(join(tmpdir(), 'sip-calls-warm-'));
      tempDirs.add(warmDir);
      await runSipp(uas.port, Math.min(rate, 500), warmupCalls, warmDir, { ticks: 0 });
      rmSync(warmDir, { recursive: true, force: true });
      tempDirs.delete(warmDir);
    }
    const before = await uas.command('stats'); // also resets the GC and event-loop counters: start-up and warm-up excluded
    const sippStart = Date.now();
    const rcv0 = udpRcvbufErrors();
    const t0 = cpuTicks(uas.pid);
    const th0 = threadTicks(uas.pid);
    const rd0 = mainThreadRunDelayNs(uas.pid);
    const w0 = performance.now();
    const sippCpu = { ticks: 0 };
    // Every 100 ms: the UAS threads' CPU and run-queue wait, to see what happens in the slow seconds.
    const sched: { at: number; t: Map<string, { run: number; wait: number }> }[] = [];
    const schedTimer = setInterval(() => {
      try {
        sched.push({ at: Date.now(), t: threadSched(uas.pid) });
      } catch {
        // exited
      }
    }, 100);
    const { killed } = await runSipp(uas.port, rate, calls, dir, sippCpu);
    const wall = (performance.now() - w0) / 1000;
    clearInterval(schedTimer);
    /** In [from, to): ms each thread name ran, and ms the main thread waited for the core. */
    const schedBetween = (from: number, to: number): string => {
      const a = sched.find((x) => x.at >= from);
      const b = [...sched].reverse().find((x) => x.at <= to);
      if (!a || !b || b.at <= a.at) return '';
      const ran = [...b.t]
        .map(([k, v]) => [k, (v.run - (a.t.get(k)?.run ?? 0)) / 1e6] as const)
        .filter(([, ms]) => ms >= 1)
        .map(([k, ms]) => `${k} ran ${ms.toFixed(0)}`)
        .join(', ');
      const waited = ((b.t.get('MainThread')?.wait ?? 0) - (a.t.get('MainThread')?.wait ?? 0)) / 1e6;
      return `, ${ran} ms, MainThread waited ${waited.toFixed(0)} ms`;
    };
    const t1 = cpuTicks(uas.pid);
    const th1 = threadTicks(uas.pid);
    const rd1 = mainThreadRunDelayNs(uas.pid);
    const rcv1 = udpRcvbufErrors();
    const mem = memKiB(uas.pid);
    const s = await uas.command('stats');
    // GC on the UAS's main thread in the seconds with the most slow answers.
    const gcInSlowSeconds = [...slowBySecondOf(dir)].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([sec]) => {
      const evs = (s.gcEvents as [number, number, number][]).filter(([at]) => at >= sippStart + sec * 1000 && at < sippStart + (sec + 1) * 1000);
      const major = evs.filter(([, , k]) => k === 4);
      return (
        `${sec}s: GC ${evs.length}× ${evs.reduce((a, [, d]) => a + d, 0).toFixed(0)} ms (mark-compact ${major.length}×, longest ${Math.max(0, ...evs.map(([, d]) => d)).toFixed(0)} ms)` +
        schedBetween(sippStart + sec * 1000, sippStart + (sec + 1) * 1000)
      );
    });
    const st = lastStats(readFileSync(join(dir, 'stats.csv'), 'utf8'));
    const rtt = rttRows(dir).map((r) => r[1]).sort((a, b) => a - b);
    const slowBySecond = slowBySecondOf(dir);
    const successful = Number(st['SuccessfulCall(C)']);
    const elapsed = epoch(st['CurrentTime']!) - epoch(st['StartTime']!);
    return {
      rate,
      attempted: Number(st['OutgoingCall(C)']),
      successful,
      failed: Number(st['FailedCall(C)']),
      retransmissions: Number(st['Retransmissions(C)']),
      unexpected: Number(st['FailedUnexpectedMessage(C)']),
      achieved: successful / elapsed,
      p50: pct(rtt, 0.5),
      p99: pct(rtt, 0.99),
      max: rtt[rtt.length - 1] ?? NaN,
      samples: rtt.length,
      slow: [...slowBySecond].sort((a, b) => b[1] - a[1]),
      gcInSlowSeconds,
      sippCpu: sippCpu.ticks / CLK_TCK / wall,
      cpu: (t1 - t0) / CLK_TCK / wall,
      runDelay: (rd1 - rd0) / 1e9 / wall,
      threads: Object.fromEntries([...th1].map(([k, v]) => [k, (v - (th0.get(k) ?? 0)) / CLK_TCK / wall]).filter(([, v]) => (v as number) >= 0.005)),
      rssMiB: mem.rss / 1024,
      hwmMiB: mem.hwm / 1024,
      uas: {
        invites: s.invites - before.invites,
        answered: s.answered - before.answered,
        ended: Object.fromEntries(Object.entries(s.ended as Record<string, number>).map(([k, v]) => [k, v - (before.ended[k] ?? 0)])),
        dialogs: s.dialogs,
        transactions: s.transactions,
        errors: s.errors,
        sendErrors: s.sendErrors,
        heapUsed: s.heapUsed,
      },
      gc: s.gc,
      loopDelayMs: s.loopDelayMs,
      killed,
      udpRcvbufErrors: rcv1 - rcv0,
    };
  } finally {
    await uas.stop();
    rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  }
}

/** sipp's -trace_rtt samples: [ms since sipp's start, INVITE→200 ms]. */
function rttRows(dir: string): [number, number][] {
  const rttFile = readdirSync(dir).find((f) => f.endsWith('_rtt.csv'));
  return rttFile ? readFileSync(join(dir, rttFile), 'utf8').trim().split('\n').slice(1).map((l) => l.split(';').map(Number) as [number, number]) : [];
}

/** Where the slow answers (≥ 20 ms) fall in the run: second since sipp's start → count. */
function slowBySecondOf(dir: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const [at, ms] of rttRows(dir)) if (ms >= 20) m.set(Math.floor(at / 1000), (m.get(Math.floor(at / 1000)) ?? 0) + 1);
  return m;
}

const passes = (r: RunResult) =>
  !r.killed && r.failed === 0 && r.successful === r.attempted && r.attempted === Math.round(r.rate * durationS) && r.uas.answered === r.attempted && r.p99 < 20;

function printRun(r: RunResult, label: string): void {
  console.log(
    `${label} rate ${r.rate}/s: attempted ${r.attempted}, successful ${r.successful}, failed ${r.failed}` +
      ` (unexpected msg ${r.unexpected}), retrans ${r.retransmissions}, achieved ${r.achieved.toFixed(1)}/s,` +
      ` INVITE→200 p50 ${r.p50} ms p99 ${r.p99} ms max ${r.max} ms (${r.samples} samples;` +
      ` ≥ 20 ms: ${r.slow.reduce((a, [, n]) => a + n, 0)}${r.slow.length ? `, busiest seconds ${r.slow.slice(0, 4).map(([sec, n]) => `${sec}s:${n}`).join(' ')}` : ''}),` +
      ` sipp CPU ≥ ${(r.sippCpu * 100).toFixed(0)}%, UAS main thread waiting for its core ${(r.runDelay * 100).toFixed(1)}% of the run,` +
      ` UAS CPU ${(r.cpu * 100).toFixed(1)}% of a core (${Object.entries(r.threads).map(([k, v]) => `${k} ${(v * 100).toFixed(1)}%`).join(', ')}), RSS ${r.rssMiB.toFixed(0)} MiB (peak ${r.hwmMiB.toFixed(0)}),` +
      ` heapUsed ${(r.uas.heapUsed / 2 ** 20).toFixed(0)} MiB, transactions held ${r.uas.transactions},` +
      ` GC ${r.gc.count}× ${r.gc.totalMs.toFixed(0)} ms (longest ${r.gc.maxMs.toFixed(1)} ms, mark-compact ${r.gc.major}× ${r.gc.majorMs.toFixed(0)} ms),` +
      ` loop delay p99 ${r.loopDelayMs.p99.toFixed(1)} ms max ${r.loopDelayMs.max.toFixed(1)} ms,` +
      ` UAS answered ${r.uas.answered}, ended ${JSON.stringify(r.uas.ended)}, open dialogs ${r.uas.dialogs}, errors ${r.uas.errors + r.uas.sendErrors},` +
      ` UDP RcvbufErrors (system) +${r.udpRcvbufErrors}` +
      `${r.gcInSlowSeconds.length ? `; in the slowest seconds: ${r.gcInSlowSeconds.join('; ')}` : ''}${r.killed ? ', KILLED at deadline' : ''}${passes(r) ? '' : '  ✗'}`,
  );
}

const build = await buildLibs(['libs/sip']);
tempDirs.add(build.dir);
console.log(`sip-calls: warm-up ${warmupCalls} calls per run (not measured); UAS on core ${uasCore}, sipp uac on core ${sippCore}, UDP loopback${rcvbuf ? ` (experiment: UAS SO_RCVBUF ${rcvbuf})` : ''}${t1 ? ` (experiment: UAS T1 ${t1} ms)` : ''}${uasNodeFlags.length ? ` (UAS node flags: ${uasNodeFlags.join(' ')})` : ''}, ${with180 ? 'INVITE/180/200' : 'INVITE/200'}/ACK/BYE/200, -d 0,` +
  ` ${durationS} s per run, ${runs} run(s) per rate; node ${process.version}`);
const results = new Map<number, RunResult[]>();
try {
  for (const rate of rates) {
    const rs: RunResult[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await oneRun(build.dir, rate);
      printRun(r, `  run ${i + 1}/${runs}`);
      rs.push(r);
    }
    results.set(rate, rs);
  }
  console.log('\nmedians per rate (of the runs above):');
  console.log('rate/s  attempted  successful  failed  achieved/s  p50 ms  p99 ms  UAS CPU  RSS MiB  runs passing');
  let best: number | undefined;
  for (const [rate, rs] of results) {
    const m = (f: (r: RunResult) => number) => median(rs.map(f));
    const ok = rs.filter(passes).length;
    if (ok === rs.length) best = Math.max(best ?? 0, rate);
    console.log(
      `${String(rate).padStart(6)}  ${String(m((r) => r.attempted)).padStart(9)}  ${String(m((r) => r.successful)).padStart(10)}  ${String(m((r) => r.failed)).padStart(6)}` +
        `  ${m((r) => r.achieved).toFixed(1).padStart(10)}  ${String(m((r) => r.p50)).padStart(6)}  ${String(m((r) => r.p99)).padStart(6)}` +
        `  ${(m((r) => r.cpu) * 100).toFixed(1).padStart(6)}%  ${m((r) => r.rssMiB).toFixed(0).padStart(7)}  ${ok}/${rs.length}`,
    );
  }
  console.log(`\nhighest rate with 0 failed calls and p99 < 20 ms in every run: ${best ?? 'none'} calls/s` +
    ` (target: ≥ 500 calls/s on one core → ${best !== undefined && best >= 500 ? 'met' : 'NOT met'})`);

  if (profileRate !== undefined) {
    const profDir = mkdtempSync(join(tmpdir(), 'sip-calls-prof-'));
    const r = await oneRun(build.dir, profileRate, profDir);
    printRun(r, `\nprofiled (--cpu-prof, slower than the runs above)`);
    const file = readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
    if (file) {
      const h = hotspots(join(profDir, file));
      console.log(`profile: ${join(profDir, file)}\n${h.busyMs.toFixed(0)} ms of samples not idle (whole UAS process life: start-up and warm-up included);` +
        ` JS-thread samples only: the V8 worker threads (concurrent marking, parallel scavenge) are not in it.`);
      console.log('self time by function, share of the non-idle samples:');
      for (const l of h.functions) console.log(`  ${l}`);
      console.log('self time by file:');
      for (const l of h.files.slice(0, 15)) console.log(`  ${l}`);
    }
  }
} finally {
  await build.cleanup();
}
