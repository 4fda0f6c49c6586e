// The UAS under load for bench/sip-calls.bench.ts: our SIP stack, built by
// bench/build-libs.mjs, answering every INVITE (180 first unless --no-180) with
// 200 + SDP, on one UDP listener on 127.0.0.1.
//
//   node bench/sip-uas-child.cjs <build-dir> <port> [--no-180] [--rcvbuf <bytes>] [--t1 <ms>]
//
// --rcvbuf is an experiment, not the library's behaviour: it wraps
// dgram.createSocket so the stack's UDP socket gets that SO_RCVBUF (the library
// sets none, so it gets net.core.rmem_default, 208 KiB here). --t1 is one too:
// the stack's T1 (its `transactions` option), hence Timers L/J = 64*T1.
//
// Prints `ready <port>` once listening. Reads commands on stdin, one per line:
//   stats  → one JSON line (calls answered, dialog ends by cause, open dialogs and
//            transactions, errors, heap and RSS, GC pauses and event-loop delay
//            since the previous `stats`)
//   gc     → forces a GC first when run with --expose-gc, then prints stats
//   exit   → closes the stack and exits (also when stdin ends: the parent died).
'use strict';
const { join } = require('node:path');
const readline = require('node:readline');

const [buildDir, portArg, ...flags] = process.argv.slice(2);
if (!buildDir || !portArg) {
  console.error('usage: node bench/sip-uas-child.cjs <build-dir> <port> [--no-180] [--rcvbuf <bytes>] [--t1 <ms>]');
  process.exit(2);
}
const with180 = !flags.includes('--no-180');
const rcvbufAt = flags.indexOf('--rcvbuf');
if (rcvbufAt >= 0) {
  const recvBufferSize = Number(flags[rcvbufAt + 1]);
  const dgram = require('node:dgram');
  const original = dgram.createSocket;
  dgram.createSocket = (options, listener) => original(typeof options === 'string' ? { type: options, recvBufferSize } : { ...options, recvBufferSize }, listener);
}
const t1At = flags.indexOf('--t1');
const transactions = t1At >= 0 ? { t1: Number(flags[t1At + 1]) } : undefined;
const { PerformanceObserver, monitorEventLoopDelay, performance } = require('node:perf_hooks');
const gcStats = { count: 0, totalMs: 0, maxMs: 0, major: 0, majorMs: 0 };
let gcEvents = []; // [epoch ms, duration ms, kind] since the previous `stats`
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (gcEvents.length < 20_000) gcEvents.push([performance.timeOrigin + e.startTime, e.duration, e.detail?.kind]);
    gcStats.count++;
    gcStats.totalMs += e.duration;
    gcStats.maxMs = Math.max(gcStats.maxMs, e.duration);
    // NODE_PERFORMANCE_GC_MAJOR = 4 (mark-compact)
    if (e.detail?.kind === 4) {
      gcStats.major++;
      gcStats.majorMs += e.duration;
    }
  }
}).observe({ entryTypes: ['gc'] });
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const { createSipStack } = require(join(buildDir, 'libs/sip/stack/src/index.js'));

const sdp = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
const counts = { invites: 0, answered: 0, ended: {}, errors: 0, sendErrors: 0 };

(async () => {
  const stack = await createSipStack({
    listen: [{ protocol: 'udp', host: '127.0.0.1', port: Number(portArg) }],
    sessionTimer: false,
    ...(transactions ? { transactions } : {}),
    events: { onError: () => counts.errors++, onSendError: () => counts.sendErrors++ },
  });
  stack.ua.onInvite((inv) => {
    counts.invites++;
    if (with180) inv.progress(180);
    const dialog = inv.accept({ body: sdp, contentType: 'application/sdp' });
    counts.answered++;
    dialog.on('terminated', ({ cause }) => (counts.ended[cause] = (counts.ended[cause] ?? 0) + 1));
  });

  const stats = () => {
    const m = process.memoryUsage();
    const out = {
      ...counts,
      dialogs: stack.ua.size,
      transactions: stack.transactions.size,
      heapUsed: m.heapUsed,
      rss: m.rss,
      gc: { ...gcStats },
      gcEvents,
      loopDelayMs: { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
    };
    Object.assign(gcStats, { count: 0, totalMs: 0, maxMs: 0, major: 0, majorMs: 0 });
    gcEvents = [];
    loopDelay.reset();
    return out;
  };
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await stack.close();
    process.exit(0);
  };
  readline.createInterface({ input: process.stdin }).on('line', (line) => {
    const cmd = line.trim();
    if (cmd === 'stats') process.stdout.write(`${JSON.stringify(stats())}\n`);
    else if (cmd === 'gc') {
      if (global.gc) {
        global.gc();
        global.gc();
      }
      process.stdout.write(`${JSON.stringify(stats())}\n`);
    } else if (cmd === 'exit') void shutdown();
  }).on('close', () => void shutdown());
  process.stdout.write(`ready ${stack.addresses()[0].port}\n`);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
