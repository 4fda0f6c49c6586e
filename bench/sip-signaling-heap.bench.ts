/**
 * Heap per recorded call in the BUILT sip-signaling: N recorded calls up at
 * once (sipp UAC → sip-signaling → sipp UAS, media anchored in rtpengine, each
 * call recorded by the BUILT ci-emulator), heapUsed after full GCs, minus the
 * baseline, / N.
 *
 *   source scripts/node-env.sh && nx run-many -t build -p sip-signaling,ci-emulator
 *   node -r ./bench/cjs-register.cjs bench/sip-signaling-heap.bench.ts [--calls 1000,2000] [--rate 100] [--runs 1]
 *
 * (from the workspace root, as root: it makes a network namespace.) ≈ 2.5 min per run.
 *
 * How the heap is read without changing the app: sip-signaling runs as `nx
 * serve` runs it plus `--expose-gc --no-flush-bytecode -r bench/lib/heap-probe.cjs`
 * and an IPC channel; on request the probe runs three full GCs and answers
 * process.memoryUsage(). (`--no-flush-bytecode`: V8 would otherwise drop the
 * bytecode of start-up code between two readings, a negative "call" size.)
 *
 * Timeline of a run (fresh processes; sip-signaling pinned to core 1, the rest to core 0):
 *   warm-up   200 recorded calls (300 ms each), then 33 s for their transactions
 *             to end (Timers L/J = 64·T1 = 32 s) → baseline
 *   A         all N calls answered and recorded (the emulator holds N active
 *             sessions): N calls with 3 dialogs each (A leg, B leg, SIPREC) and
 *             their INVITE transactions still in Accepted (Timer L)
 *   B         33 s after the last answer: the INVITE transactions are gone, the
 *             N calls remain — the figure for the target
 *   D         every call ended a moment ago (BYE both legs, SIPREC BYE): what
 *             the BYE transactions keep while their timers run (Timer J on UDP)
 *   C         every call ended (BYE both legs, SIPREC BYE), then 33 s: the
 *             leak check (heap back at the baseline, 0 calls, 0 sessions)
 * sipp holds each call N/rate + 45 s so B comes before the first BYE.
 * Target (issue 6): ≤ 50 KB heap per recorded call (point B). Never a test.
 */
import { join } from 'node:path';
import { freePort } from '@ci-connector/platform-testing';
import { enterNamespace } from './lib/netns';
import { argsOf, machine, median, RecordingRig, sleep, stopOnSignal } from './lib/recording-rig';
import { killAllSipp, startSipp } from './lib/sipp';

const a = argsOf(process.argv.slice(2));
const sizes = a.opt('calls', '1000,2000').split(',').map(Number);
const rate = a.num('rate', 100);
const runs = a.num('runs', 1);
const LINGER_MS = 33_000;

let rig: RecordingRig | undefined;

interface Point {
  heapUsed: number;
  external: number;
  rss: number;
  calls: number;
  sessions: number;
}

async function point(): Promise<Point> {
  const m = await rig!.appHeap();
  const drain = await rig!.appJson('/drain');
  const ready = await rig!.appJson('/health/ready');
  return { heapUsed: m.heapUsed, external: m.external, rss: m.rss, calls: drain.activeCalls as number, sessions: (ready?.checks?.siprec?.activeSessions as number) ?? NaN };
}

async function activeAtEmulator(): Promise<number> {
  return (await rig!.recordings()).recordings.filter((r) => r.state === 'active').length;
}

async function oneRun(n: number) {
  const uasPort = await freePort();
  rig = new RecordingRig({
    maxCalls: n + 300,
    uasPort,
    appCore: '1',
    restCore: '0',
    appIpc: true,
    appNodeFlags: ['--expose-gc', '--no-flush-bytecode', '-r', join(__dirname, 'lib/heap-probe.cjs')],
    // HEAP_PROBE_SNAPSHOT_DIR=<dir>: a heap snapshot at each reading (baseline, A, B, D, C), for bench/lib/heap-diff.cjs.
    ...(process.env['HEAP_PROBE_SNAPSHOT_DIR'] ? { appEnv: { HEAP_PROBE_SNAPSHOT_DIR: process.env['HEAP_PROBE_SNAPSHOT_DIR'] } } : {}),
  });
  try {
    await rig.startBackends();
    const app = await rig.startApp();
    const sellers = rig.writeSellersCsv();
    const remote = `127.0.0.1:${app.sipPort}`;
    // Warm-up, then let every transaction of it end.
    const wUas = await startSipp({ role: 'uas', localPort: uasPort, calls: 200, deadlineMs: 60_000, core: '0' });
    const wUac = await startSipp({ role: 'uac', remote, localPort: await freePort(), calls: 200, rate, holdMs: 300, injection: sellers, deadlineMs: 60_000, core: '0' });
    await wUac.done;
    await wUas.done;
    await sleep(LINGER_MS);
    const base = await point();
    await rig.clearRecordings();

    const holdMs = Math.ceil((n / rate) * 1000) + 45_000;
    const uas = await startSipp({ role: 'uas', localPort: uasPort, calls: n, deadlineMs: holdMs + 120_000, core: '0' });
    const uac = await startSipp({ role: 'uac', remote, localPort: await freePort(), calls: n, rate, holdMs, injection: sellers, deadlineMs: holdMs + 120_000, core: '0' });
    const t0 = Date.now();
    let up = 0;
    while (Date.now() - t0 < holdMs - LINGER_MS - 5_000) {
      up = await activeAtEmulator();
      if (up >= n) break;
      await sleep(500);
    }
    const allUpAt = Date.now();
    const established = await point();
    const recordedAtA = up;
    await sleep(Math.max(0, LINGER_MS - (Date.now() - allUpAt)));
    const callsOnly = await point();
    const u = await uac.done;
    const s = await uas.done;
    const until = Date.now() + 30_000;
    while (Date.now() < until && (await rig.recordings()).recordings.some((r) => r.state !== 'ended')) await sleep(500);
    const rec = await rig.recordings();
    // D: every call ended a moment ago; what the BYE transactions keep until their timers (J: 64*T1 on UDP) end.
    const ending = await point();
    await sleep(LINGER_MS);
    const settled = await point();
    return { n, base, established, callsOnly, ending, settled, recordedAtA, ended: rec.recordings.filter((r) => r.state === 'ended').length, rejections: rec.rejections.length, uac: u, uasFailed: s.failed };
  } finally {
    await rig.stop();
    rig = undefined;
  }
}

async function main() {
  if (await enterNamespace('ssb-heap')) return;
  stopOnSignal(() => [rig], killAllSipp);
  console.log(machine());
  console.log(`sip-signaling-heap: sip-signaling (--expose-gc --no-flush-bytecode, heap probe) on core 1, the rest on core 0; calls placed at ${rate}/s; ${runs} run(s) per size`);
  const kb = (b: number) => `${(b / 1000).toFixed(1)} KB`;
  for (const n of sizes) {
    const perCall: number[] = [];
    for (let i = 0; i < runs; i++) {
      const r = await oneRun(n);
      const per = (p: Point) => (p.heapUsed - r.base.heapUsed) / n;
      perCall.push(per(r.callsOnly));
      console.log(
        `N=${n} run ${i + 1}/${runs}: baseline heapUsed ${(r.base.heapUsed / 2 ** 20).toFixed(1)} MiB; ` +
          `A (all up + INVITE transactions, ${r.established.calls} calls, ${r.established.sessions} sessions, ${r.recordedAtA} active at the emulator) ${kb(per(r.established))}/call; ` +
          `B (calls only, ${r.callsOnly.calls} calls, ${r.callsOnly.sessions} sessions) ${kb(per(r.callsOnly))}/call (external +${kb((r.callsOnly.external - r.base.external) / n)}/call, RSS ${(r.callsOnly.rss / 2 ** 20).toFixed(0)} MiB); ` +
          `D (all ended just now: ${r.ending.calls} calls, the BYE transactions' timers running) ${kb(per(r.ending))}/call; ` +
          `C (all ended + 33 s: ${r.settled.calls} calls, ${r.settled.sessions} sessions) ${r.settled.heapUsed - r.base.heapUsed >= 0 ? '+' : ''}${((r.settled.heapUsed - r.base.heapUsed) / 1024).toFixed(0)} KiB above the baseline; ` +
          `sipp successful ${r.uac.successful} failed ${r.uac.failed}/${r.uasFailed}; recordings ended ${r.ended}, rejections ${r.rejections}` +
          `${r.recordedAtA < n ? `  (only ${r.recordedAtA} of ${n} recordings were up at A)` : ''}`,
      );
    }
    const m = median(perCall);
    console.log(`N=${n}: heap per recorded call (B, median of ${runs}) ${kb(m)} (target ≤ 50 KB → ${m <= 50_000 ? 'met' : 'NOT met'})`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  killAllSipp();
  rig?.killAll();
  process.exit(1);
});
