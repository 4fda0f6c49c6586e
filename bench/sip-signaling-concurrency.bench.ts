/**
 * Concurrent recorded calls through the BUILT sip-signaling, every one recorded
 * by the BUILT ci-emulator, media anchored and forked by real rtpengine:
 *
 * 1. **With media**: `--media-calls` (200) calls up at once, G.711 (PCMU, 20 ms
 *    packets) flowing both ways for `--media-seconds` (15) s, sent by this
 *    process from each side's own RTP socket (bench/lib/raw-sip.ts places the
 *    calls). Media starts once the emulator holds every session (+1 s, so each
 *    subscription is complete): every packet sent must reach the emulator, per
 *    stream SRTP packets received / authenticated / decoded / lost /
 *    auth-failed from its recordings API. Also what each side received back
 *    through rtpengine. Target: no SRTP packet lost.
 * 2. **Without media**: `--calls` (5,000) calls placed by sipp at
 *    `--ramp-rate` (100/s), all held at once (the emulators' active sessions and
 *    sip-signaling's calls sampled every second), then all ended: every call
 *    completed at sipp, every one recorded (session ended at the emulator), 0
 *    rejections, 0 recording.failed, nothing left in sip-signaling.
 *
 *   source scripts/node-env.sh && nx run-many -t build -p sip-signaling,ci-emulator
 *   node -r ./bench/cjs-register.cjs bench/sip-signaling-concurrency.bench.ts \
 *     [--media-calls 200] [--media-seconds 15] [--calls 5000] [--ramp-rate 100] [--only media|no-media]
 *
 * (from the workspace root, as root: it makes a network namespace.) ≈ 4 min.
 *
 * Why several rtpengine and emulator processes for 5,000 calls: userspace
 * rtpengine holds one socket per media port, 8 per recorded call (A and B
 * legs and the two forked streams, RTP + RTCP), the emulator 4 sockets and 2
 * WAV files per recording, and this machine's hard limit is 20,000 open files
 * per process (no CAP_SYS_RESOURCE to raise it). So the rig
 * (bench/lib/recording-rig.ts) puts ≤ 2,000 calls on each rtpengine, behind an
 * ng relay that pins each call to one of them by call-id (bench/lib/ng-relay.ts,
 * like an rtpengine set in Kamailio), each on a loopback address of its own
 * with ports 10000-59999, and splits the sellers over tenants in different
 * regions, each region's recorder another emulator. One sip-signaling holds
 * every call. Everything in the bench's own network namespace. Never a test.
 */
import { freePort } from '@ci-connector/platform-testing';
import { enterNamespace } from './lib/netns';
import { RawUac, RawUas, type UacCall, type UasCall } from './lib/raw-sip';
import { argsOf, CpuMeter, machine, memKiB, openFds, RecordingRig, sleep, stopOnSignal, udpRcvbufErrors } from './lib/recording-rig';
import { killAllSipp, startSipp } from './lib/sipp';

const a = argsOf(process.argv.slice(2));
const mediaCalls = a.num('media-calls', 200);
const mediaSeconds = a.num('media-seconds', 15);
const bigCalls = a.num('calls', 5000);
const rampRate = a.num('ramp-rate', 100);
const only = a.opt('only', '');

let rig: RecordingRig | undefined;

interface StreamRow {
  label: string;
  packetsReceived: number;
  packetsAuthenticated: number;
  packetsDecoded: number;
  lost: number;
  authFailed: number;
  replayed: number;
  reordered: number;
}

/** Each side sends 20 ms PCMU packets to rtpengine from its own socket; returns the count sent per stream. */
async function sendMedia(legs: { from: UacCall['rtp']; to: number; ssrc: number }[], seconds: number): Promise<number> {
  const packets = Math.round((seconds * 1000) / 20);
  const payload = Buffer.alloc(160, 0xff); // μ-law silence… with a pattern below so the WAV is not all one value
  for (let k = 0; k < 160; k++) payload[k] = (k * 7) & 0xff;
  const t0 = performance.now();
  for (let i = 0; i < packets; i++) {
    const due = t0 + i * 20;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    for (const l of legs) {
      const h = Buffer.alloc(12);
      h[0] = 0x80;
      h[1] = i === 0 ? 0x80 : 0;
      h.writeUInt16BE(i & 0xffff, 2);
      h.writeUInt32BE((i * 160) >>> 0, 4);
      h.writeUInt32BE(l.ssrc, 8);
      l.from.send(Buffer.concat([h, payload]), l.to, '127.0.0.1');
    }
  }
  return packets;
}

async function withMedia(): Promise<boolean> {
  const uasPort = await freePort();
  rig = new RecordingRig({ maxCalls: mediaCalls + 50, uasPort });
  try {
    await rig.startBackends();
    const app = await rig.startApp();
    const uas = await RawUas.create(uasPort);
    const uac = await RawUac.create(app.sipPort);
    const calls: { a: UacCall; b: UasCall }[] = [];
    const t = rig.tenants[0]!;
    for (let i = 0; i < mediaCalls; i++) {
      const c = await uac.invite(rig.seller(t, i), `media-${i}`);
      const status = await Promise.race([c.answered, sleep(10_000).then(() => 0)]);
      const b = uas.calls.get(`media-${i}`);
      if (status !== 200 || !b) throw new Error(`call ${i} not answered (${status})`);
      calls.push({ a: c, b });
      await sleep(1000 / 50);
    }
    const ids = new Set(calls.map((c) => c.a.dialerId));
    const until = Date.now() + 30_000;
    let active = 0;
    while (Date.now() < until) {
      active = (await rig.recordings()).recordings.filter((r) => ids.has(r.callId) && r.state === 'active').length;
      if (active === calls.length) break;
      await sleep(250);
    }
    console.log(`with media: ${calls.length} calls up, ${active} recording sessions active at the emulator; media for ${mediaSeconds} s…`);
    await sleep(1000);
    // Count what comes back to each side through rtpengine.
    const back = { a: 0, b: 0 };
    for (const c of calls) {
      c.a.rtp.on('message', () => back.a++);
      c.b.rtp.on('message', () => back.b++);
    }
    const cpu = new CpuMeter(() => ({ ...rig!.pids(), bench: process.pid }));
    const drops0 = udpRcvbufErrors();
    cpu.start();
    const legs = calls.flatMap((c, i) => [
      { from: c.a.rtp, to: c.a.mediaPort!, ssrc: 0x1000_0000 + i },
      { from: c.b.rtp, to: c.b.mediaPort, ssrc: 0x2000_0000 + i },
    ]);
    const sent = await sendMedia(legs, mediaSeconds);
    const usage = cpu.read();
    await sleep(1000);
    const drops = udpRcvbufErrors() - drops0;
    const rows: StreamRow[] = [];
    for (const c of calls) {
      const detail = (await rig.emulators[0]!.request('GET', `/emulator/recordings/${encodeURIComponent(c.a.dialerId)}`)).json;
      for (const s of (detail?.streams ?? []) as StreamRow[]) rows.push(s);
    }
    for (const c of calls) {
      uac.bye(c.a);
      await sleep(2);
    }
    await Promise.all(calls.map((c) => Promise.race([c.a.ended, sleep(10_000)])));
    const ended = await (async () => {
      const u = Date.now() + 15_000;
      let r = await rig!.recordings();
      while (Date.now() < u && r.recordings.some((x) => ids.has(x.callId) && x.state !== 'ended')) {
        await sleep(250);
        r = await rig!.recordings();
      }
      return r.recordings.filter((x) => ids.has(x.callId) && x.state === 'ended').length;
    })();
    const sum = (f: (r: StreamRow) => number) => rows.reduce((p, r) => p + f(r), 0);
    const min = (f: (r: StreamRow) => number) => Math.min(...rows.map(f));
    const short = rows.filter((r) => r.packetsDecoded !== sent);
    const expected = calls.length * 2;
    console.log(
      `  streams at the emulator: ${rows.length} of ${expected}; per stream sent ${sent} packets; ` +
        `received total ${sum((r) => r.packetsReceived)} (min per stream ${min((r) => r.packetsReceived)}), authenticated ${sum((r) => r.packetsAuthenticated)}, decoded ${sum((r) => r.packetsDecoded)} (min ${min((r) => r.packetsDecoded)}), ` +
        `lost ${sum((r) => r.lost)}, auth failed ${sum((r) => r.authFailed)}, replayed ${sum((r) => r.replayed)}, reordered ${sum((r) => r.reordered)}; streams with fewer than sent: ${short.length}`,
    );
    console.log(`  relayed back through rtpengine: A side received ${back.a} of ${sent * calls.length}, B side ${back.b} of ${sent * calls.length}`);
    console.log(`  CPU during the media (share of one core): ${Object.entries(usage).map(([k, v]) => `${k} ${(v * 100).toFixed(0)}%`).join(', ')}; UDP datagrams dropped on full receive buffers in the namespace (RcvbufErrors): ${drops}`);
    console.log(`  after BYE: ${ended} of ${calls.length} sessions ended at the emulator; rejections ${(await rig.recordings()).rejections.length}`);
    const ok = rows.length === expected && short.length === 0 && sum((r) => r.lost) === 0 && sum((r) => r.authFailed) === 0 && ended === calls.length;
    console.log(`with media: ${calls.length} concurrent recorded calls, ${ok ? 'no SRTP packet lost (target met)' : 'SRTP packets LOST or streams missing (target NOT met)'}`);
    uac.close();
    uas.close();
    return ok;
  } finally {
    await rig.stop();
    rig = undefined;
  }
}

async function withoutMedia(): Promise<boolean> {
  const uasPort = await freePort();
  rig = new RecordingRig({ maxCalls: bigCalls, uasPort });
  try {
    await rig.startBackends();
    const app = await rig.startApp();
    console.log(
      `without media: ${bigCalls} calls at ${rampRate}/s; ${rig.rtpengines.length} rtpengine process(es) (${rig.rtpengines.map((r) => r.iface).join(', ')}), ${rig.emulators.length} emulator(s), ${rig.tenants.length} tenant(s) (${rig.tenants.map((t) => t.region).join(', ')})`,
    );
    const sellers = rig.writeSellersCsv();
    const rampMs = (bigCalls / rampRate) * 1000;
    const holdMs = Math.ceil(rampMs) + 30_000;
    const deadline = holdMs + rampMs + 120_000;
    const uas = await startSipp({ role: 'uas', localPort: uasPort, calls: bigCalls, deadlineMs: deadline, limit: bigCalls + 100 });
    const uac = await startSipp({ role: 'uac', remote: `127.0.0.1:${app.sipPort}`, localPort: await freePort(), calls: bigCalls, rate: rampRate, holdMs, injection: sellers, limit: bigCalls + 100, deadlineMs: deadline });
    const logFrom = 0;
    let peakSessions = 0;
    let peakCalls = 0;
    let peakAt = 0;
    const t0 = Date.now();
    let done = false;
    void uac.done.then(() => (done = true));
    while (!done && Date.now() - t0 < holdMs) {
      const [rec, drain] = await Promise.all([rig.recordings(), rig.appJson('/drain')]);
      const act = rec.recordings.filter((r) => r.state === 'active').length;
      if (act > peakSessions) {
        peakSessions = act;
        peakAt = Date.now() - t0;
      }
      peakCalls = Math.max(peakCalls, drain.activeCalls as number);
      if (peakSessions >= bigCalls) break;
      await sleep(1000);
    }
    const fds = Object.entries(rig.pids()).map(([k, pid]) => `${k} ${openFds(pid)}`).join(', ');
    const mem = memKiB(app.pid);
    const ready = await rig.appJson('/health/ready');
    console.log(
      `  all up: ${peakSessions} recording sessions active at the emulators (${(peakAt / 1000).toFixed(0)} s after the first INVITE), sip-signaling holding ${peakCalls} calls, ${ready?.checks?.siprec?.activeSessions} SIPREC sessions; ` +
        `open files: ${fds}; sip-signaling RSS ${(mem.rss / 1024).toFixed(0)} MiB`,
    );
    const u = await uac.done;
    const s = await uas.done;
    const until = Date.now() + 60_000;
    let rec = await rig.recordings();
    while (Date.now() < until && rec.recordings.some((r) => r.state !== 'ended')) {
      await sleep(1000);
      rec = await rig.recordings();
    }
    await sleep(1000);
    const after = await rig.appJson('/drain');
    const readyAfter = await rig.appJson('/health/ready');
    const log = RecordingRig.countLog(app.logFile, logFrom);
    const ended = rec.recordings.filter((r) => r.state === 'ended').length;
    console.log(
      `  ended: sipp UAC successful ${u.successful} failed ${u.failed}, UAS failed ${s.failed}; sessions ended at the emulators ${ended} of ${bigCalls}, still open ${rec.recordings.length - ended}, rejections ${rec.rejections.length}; ` +
        `events ${JSON.stringify(log.counts)}; sip-signaling afterwards: ${after.activeCalls} calls, ${readyAfter?.checks?.siprec?.activeSessions} SIPREC sessions`,
    );
    const ok = peakSessions >= bigCalls && u.successful === bigCalls && u.failed === 0 && s.failed === 0 && ended === bigCalls && rec.rejections.length === 0 && log.failedCalls.size === 0 && after.activeCalls === 0;
    console.log(`without media: ${bigCalls} concurrent recorded calls ${ok ? 'held and ended cleanly (target met)' : 'NOT all held, recorded and ended cleanly (target NOT met)'}`);
    return ok;
  } finally {
    await rig.stop();
    rig = undefined;
  }
}

async function main() {
  if (await enterNamespace('ssb-conc')) return;
  stopOnSignal(() => [rig], killAllSipp);
  console.log(machine());
  if (only !== 'no-media') await withMedia();
  if (only !== 'media') await withoutMedia();
  process.exit(0); // sockets of calls that did not end would keep the process alive
}

main().catch((err: unknown) => {
  console.error(err);
  killAllSipp();
  rig?.killAll();
  process.exit(1);
});
