/**
 * Recorded calls per second through the BUILT sip-signaling: sipp UAC →
 * sip-signaling → sipp UAS over UDP, every call's seller on the tenant's list,
 * media anchored in a real rtpengine, every call recorded by the BUILT
 * ci-emulator (SIPREC over mutual TLS, SRTP ports and WAV files per call).
 *
 *   source scripts/node-env.sh && nx run-many -t build -p sip-signaling,ci-emulator
 *   node -r ./bench/cjs-register.cjs bench/sip-signaling-calls.bench.ts \
 *     [--rates 100,200,300,400] [--duration 20] [--hold 2000] [--runs 1] [--warmup 300] \
 *     [--app-core 1] [--rest-core 0] [--profile <rate>]
 *
 * (from the workspace root, as root: it makes a network namespace.) ≈ 1.5 min per run.
 *
 * - Everything runs in a network namespace of the bench's own (bench/lib/netns.ts):
 *   a private redis-server (10,000 recorded sellers per tenant), a private
 *   rtpengine (deploy/local's config style, ports 10000-59999), the emulator,
 *   sip-signaling and both sipp, all on the namespace's 127.0.0.1; torn down by
 *   PID and `ip netns del`, also on Ctrl-C.
 * - sip-signaling alone on core 1 (`taskset -a -p -c 1`), everything else
 *   (rtpengine, Redis, emulator, sipp, this process) on core 0.
 * - Fresh processes per run (rtpengine, emulator, sip-signaling, sipp), warmed
 *   up by `--warmup` recorded calls at ≤ 100/s (not measured: JIT, the TLS
 *   connection to the recorder), then rate × duration calls at a fixed rate
 *   (`-r`), each held `--hold` ms (`-d`) then BYE.
 * - A call is recorded when the emulator holds a session for it that ended
 *   (SIPREC BYE from sip-signaling). Counted: calls failed at either sipp, the
 *   emulator's sessions by state and its rejections (admin API), and the
 *   recording.started/stopped/failed events (sip-signaling logs them when
 *   KAFKA_BROKERS is unset, as here).
 * - A rate passes when every call completed at both sipp (0 failed) AND the
 *   emulator holds exactly that many ended sessions, none left active, 0
 *   rejections, 0 recording.failed. Target (issue 6): ≥ 200 recorded calls/s.
 * - CPU of each process (utime+stime from /proc over the sipp run, share of one
 *   core), and the whole machine's busy share: "others" = what processes outside
 *   this benchmark used (another engineer's tests): a run with others > 10 % of
 *   a core is marked disturbed.
 * - INVITE→200 at the UAC is sipp's (4 ms ticks); the precise set-up delay is
 *   bench/sip-signaling-setup-delay.bench.ts.
 * `--profile <rate>` adds one run at that rate with sip-signaling under
 * `node --cpu-prof` and prints its hottest functions.
 * Never a test: the figures go to docs/performance.md.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@ci-connector/platform-testing';
import { enterNamespace } from './lib/netns';
import { hotspots } from './lib/profile';
import { argsOf, CpuMeter, MachineCpu, machine, median, memKiB, pct, RecordingRig, sleep, stopOnSignal, udpRcvbufErrors } from './lib/recording-rig';
import { killAllSipp, startSipp } from './lib/sipp';

const a = argsOf(process.argv.slice(2));
const rates = a.opt('rates', '100,200,300,400').split(',').map(Number);
const durationS = a.num('duration', 20);
const holdMs = a.num('hold', 2000);
const runs = a.num('runs', 1);
const warmup = a.num('warmup', 300);
// Not pinned by default: the recorder double needs more CPU per call than sip-signaling (see docs/performance.md §6).
const noPin = !a.flag('pin');
const appCore = noPin ? undefined : a.opt('app-core', '1');
const restCore = noPin ? undefined : a.opt('rest-core', '0');
const profileRate = a.flag('profile') ? a.num('profile', 200) : undefined;

interface Run {
  rate: number;
  calls: number;
  uac: Awaited<ReturnType<typeof startSipp>> extends { done: Promise<infer S> } ? S : never;
  uasFailed: number;
  uasSuccessful: number;
  achieved: number;
  recorded: number;
  active: number;
  otherStates: Record<string, number>;
  rejections: number;
  rejectionRules: Record<string, number>;
  events: Record<string, number>;
  failedEvents: number;
  hookStats: Record<string, number>;
  peakCalls: number;
  cpu: Record<string, number>;
  othersCores: number;
  rssMiB: number;
  hwmMiB: number;
  udpDrops: number;
  settleMs: number;
}

let rig: RecordingRig | undefined;

async function oneRun(rate: number, profileDir?: string): Promise<Run> {
  const calls = Math.round(rate * durationS);
  const uasPort = await freePort();
  rig = new RecordingRig({
    maxCalls: Math.ceil(rate * (holdMs / 1000 + 3)),
    uasPort,
    appCore,
    restCore,
    appNodeFlags: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });
  try {
    await rig.startBackends();
    const app = await rig.startApp();
    const sellers = rig.writeSellersCsv();
    const remote = `127.0.0.1:${app.sipPort}`;
    if (warmup > 0) {
      const wUas = await startSipp({ role: 'uas', localPort: uasPort, calls: warmup, deadlineMs: 120_000, core: restCore });
      const wUac = await startSipp({ role: 'uac', remote, localPort: await freePort(), calls: warmup, rate: Math.min(rate, 100), holdMs: 200, injection: sellers, deadlineMs: 120_000, core: restCore });
      await wUac.done;
      await wUas.done;
      const until = Date.now() + 20_000;
      while (Date.now() < until && (await rig.recordings()).recordings.some((r) => r.state !== 'ended')) await sleep(200);
      await rig.clearRecordings();
    }
    const logFrom = RecordingRig.countLog(app.logFile).size;
    const uas = await startSipp({ role: 'uas', localPort: uasPort, calls, deadlineMs: (durationS + holdMs / 1000 + 60) * 1000, core: restCore });
    const cpu = new CpuMeter(() => rig!.pids());
    const mcpu = new MachineCpu();
    const drops0 = udpRcvbufErrors();
    cpu.start();
    mcpu.start();
    const t0 = performance.now();
    const uac = await startSipp({ role: 'uac', remote, localPort: await freePort(), calls, rate, holdMs, injection: sellers, deadlineMs: (durationS + holdMs / 1000 + 60) * 1000, core: restCore });
    let peakCalls = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const d = await rig!.appJson('/drain').catch(() => undefined);
        if (d) peakCalls = Math.max(peakCalls, d.activeCalls as number);
        await sleep(500);
      }
    })();
    const u = await uac.done;
    const wall = (performance.now() - t0) / 1000;
    const usage = cpu.read();
    const machineBusy = mcpu.read() * cpus().length;
    const drops = udpRcvbufErrors() - drops0;
    sampling = false;
    await sampler;
    const s = await uas.done;
    const mem = memKiB(app.pid);
    // The recordings of the last calls end a moment after their BYE.
    const settle0 = performance.now();
    let rec = await rig.recordings();
    while (performance.now() - settle0 < 15_000 && rec.recordings.some((r) => r.state !== 'ended')) {
      await sleep(250);
      rec = await rig.recordings();
    }
    const settleMs = performance.now() - settle0;
    const stuck = rec.recordings.filter((r) => r.state !== 'ended').map((r) => r.callId);
    if (stuck.length) console.log(`  recordings not ended: ${stuck.slice(0, 20).join(' ')}`);
    const ready = await rig.appJson('/health/ready').catch(() => ({}));
    const hookStats = (ready?.checks?.['recording-hook'] ?? ready?.details?.['recording-hook'] ?? {}) as Record<string, number>;
    const log = RecordingRig.countLog(app.logFile, logFrom);
    const states: Record<string, number> = {};
    for (const r of rec.recordings) states[r.state] = (states[r.state] ?? 0) + 1;
    const rules: Record<string, number> = {};
    for (const r of rec.rejections) rules[r.rule] = (rules[r.rule] ?? 0) + 1;
    const sippCores = (u.cpuTicks + 0) / 100 / wall; // the UAS's is sampled too, below
    const ours = Object.values(usage).reduce((x, y) => x + (Number.isFinite(y) ? y : 0), 0) + sippCores + (s.cpuTicks / 100) / wall;
    return {
      rate,
      calls,
      uac: u,
      uasFailed: s.failed,
      uasSuccessful: s.successful,
      achieved: u.successful / Math.max(1e-9, durationS),
      recorded: states['ended'] ?? 0,
      active: (states['active'] ?? 0) + (states['paused'] ?? 0),
      otherStates: Object.fromEntries(Object.entries(states).filter(([k]) => k !== 'ended')),
      rejections: rec.rejections.length,
      rejectionRules: rules,
      events: log.counts,
      failedEvents: log.failedCalls.size,
      hookStats,
      peakCalls,
      cpu: { ...usage, 'sipp uac': sippCores, 'sipp uas': s.cpuTicks / 100 / wall },
      othersCores: Math.max(0, machineBusy - ours),
      rssMiB: mem.rss / 1024,
      hwmMiB: mem.hwm / 1024,
      udpDrops: drops,
      settleMs,
    };
  } finally {
    await rig.stop();
    rig = undefined;
  }
}

const passes = (r: Run) =>
  !r.uac.killed && r.uac.failed === 0 && r.uac.successful === r.calls && r.uasFailed === 0 && r.recorded === r.calls && r.active === 0 && r.rejections === 0 && r.failedEvents === 0;

function printRun(r: Run, label: string): void {
  const pctCore = (x: number | undefined) => `${((x ?? NaN) * 100).toFixed(0)}%`;
  console.log(
    `${label} ${r.rate}/s: ${r.calls} calls, sipp UAC successful ${r.uac.successful} failed ${r.uac.failed} (unexpected ${r.uac.unexpected}, retrans ${r.uac.retransmissions}), UAS successful ${r.uasSuccessful} failed ${r.uasFailed}; ` +
      `recorded (emulator sessions ended) ${r.recorded}, still active ${r.active}${Object.keys(r.otherStates).length ? ` ${JSON.stringify(r.otherStates)}` : ''}, rejections ${r.rejections}${r.rejections ? ` ${JSON.stringify(r.rejectionRules)}` : ''}, ` +
      `events ${JSON.stringify(r.events)}; recording hook ${JSON.stringify(r.hookStats)}; peak calls up ${r.peakCalls}; ` +
      `INVITE→200 (sipp, 4 ms ticks) p50 ${pct(r.uac.rtt, 0.5)} ms p99 ${pct(r.uac.rtt, 0.99)} ms max ${r.uac.rtt[r.uac.rtt.length - 1] ?? NaN} ms; ` +
      `CPU (share of one core) ${Object.entries(r.cpu).map(([k, v]) => `${k} ${pctCore(v)}`).join(', ')}; others on the machine ${pctCore(r.othersCores)}${r.othersCores > 0.1 ? ' (DISTURBED)' : ''}; ` +
      `sip-signaling RSS ${r.rssMiB.toFixed(0)} MiB (peak ${r.hwmMiB.toFixed(0)}); UDP RcvbufErrors +${r.udpDrops}; recordings settled ${(r.settleMs / 1000).toFixed(1)} s after the last call${r.uac.killed ? '; sipp KILLED at deadline' : ''}` +
      `${passes(r) ? '  ✓' : '  ✗'}${r.uac.failed && r.uac.errors ? `\n    sipp errors: ${r.uac.errors.split('\n').slice(0, 6).join(' | ')}` : ''}`,
  );
}

async function main() {
  if (await enterNamespace('ssb-calls')) return;
  stopOnSignal(() => [rig], killAllSipp);
  console.log(machine());
  console.log(
     `sip-signaling-calls: ${noPin ? 'no pinning (the kernel places every process)' : `sip-signaling on core ${appCore}, the rest on core ${restCore}`}; ${durationS} s per run, calls held ${holdMs} ms, warm-up ${warmup} calls, ${runs} run(s) per rate`,
  );
  const results = new Map<number, Run[]>();
  for (const rate of rates) {
    const rs: Run[] = [];
    for (let i = 0; i < runs; i++) {
      try {
        const r = await oneRun(rate);
        printRun(r, `run ${i + 1}/${runs}`);
        rs.push(r);
      } catch (err) {
        console.log(`run ${i + 1}/${runs} ${rate}/s: the run could not be completed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}  ✗`);
      }
    }
    results.set(rate, rs);
  }
  console.log('\nrate/s  calls  failed(uac/uas)  recorded  rejections  rec.failed  sip-signaling CPU  p99 ms  others  runs passing');
  let best: number | undefined;
  for (const [rate, rs] of results) {
    const ok = rs.filter(passes).length;
    if (rs.length === runs && ok === runs) best = Math.max(best ?? 0, rate);
    if (rs.length === 0) {
      console.log(`${String(rate).padStart(6)}  (no run completed)`);
      continue;
    }
    const m = (f: (r: Run) => number) => median(rs.map(f));
    console.log(
      `${String(rate).padStart(6)}  ${String(m((r) => r.calls)).padStart(5)}  ${`${m((r) => r.uac.failed)}/${m((r) => r.uasFailed)}`.padStart(15)}  ${String(m((r) => r.recorded)).padStart(8)}  ${String(m((r) => r.rejections)).padStart(10)}  ${String(m((r) => r.failedEvents)).padStart(10)}` +
        `  ${`${(m((r) => r.cpu['sip-signaling'] ?? NaN) * 100).toFixed(0)}%`.padStart(17)}  ${String(m((r) => pct(r.uac.rtt, 0.99))).padStart(6)}  ${`${(m((r) => r.othersCores) * 100).toFixed(0)}%`.padStart(6)}  ${ok}/${rs.length}`,
    );
  }
  console.log(`\nhighest rate where every call completed and every call was recorded, in every run: ${best ?? 'none'} calls/s (target ≥ 200 → ${best !== undefined && best >= 200 ? 'met' : 'NOT met'})`);
  if (profileRate !== undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'ss-calls-prof-'));
    const r = await oneRun(profileRate, dir);
    printRun(r, '\nprofiled (--cpu-prof, slower than the runs above)');
    const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
    if (file) {
      const h = hotspots(join(dir, file));
      console.log(`profile: ${join(dir, file)} (${h.busyMs.toFixed(0)} ms not idle, whole process life)\nself time by function:`);
      for (const l of h.functions) console.log(`  ${l}`);
      console.log('self time by file:');
      for (const l of h.files.slice(0, 15)) console.log(`  ${l}`);
    }
  }
}

main().catch((err: unknown) => {
  console.error(err);
  killAllSipp();
  rig?.killAll();
  process.exit(1);
});
