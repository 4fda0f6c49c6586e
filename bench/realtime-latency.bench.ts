/**
 * Real-time events, ingest → widget: the latency from a dialer's POST to the
 * BUILT call-events until the event arrives on the seller's SSE stream of the
 * BUILT widget-gateway (call-events → Kafka acks=all → 202; widget-gateway's
 * correlation → ci.widget-events → delivery → the seller's Redis stream → SSE),
 * and the ingest rate of one call-events instance. The real Kafka and Redis of
 * deploy/local, topics and keys of the bench's own (removed at the end).
 *
 *   source scripts/node-env.sh && bash deploy/local/stack.sh up
 *   nx run-many -t build -p call-events,widget-gateway
 *   node -r ./bench/cjs-register.cjs bench/realtime-latency.bench.ts \
 *     [--rates 1000,2000,5000] [--duration 20] [--warmup 3] [--sellers 50] \
 *     [--ingest-seconds 15] [--ingest-concurrency 128] [--partitions 6] [--correlation-wait 0] \
 *     [--gateway-env K=V,K=V] [--call-events-env K=V,K=V]   (settings to compare, e.g. KAFKA_LINGER=0)
 *
 * - One call-events and one widget-gateway process, one tenant, one partner API
 *   key, `--sellers` sellers each with its widget's event stream open (Node's
 *   fetch, parsed as EventSource does) before anything is posted.
 * - Latency, per rate: an open-loop schedule (not waiting for answers) posts
 *   `rate` events per second for `--duration` s over a keep-alive HTTP agent:
 *   event 2k is call k's started, 2k+1 its ended, sellers round-robin. Each
 *   event's id is known before it is sent (callEventId(partner, Idempotency-Key)),
 *   so its latency is (SSE arrival − the moment its POST was written), both on
 *   this process's monotonic clock. Also the POST → 202 time. After the last
 *   post it waits up to 10 s for stragglers: an accepted event that never
 *   arrives is counted as lost. A run where this process could not keep the
 *   schedule (more than 100 ms behind) is marked "client-bound".
 * - Ingest rate: `--ingest-concurrency` posters in a closed loop for
 *   `--ingest-seconds` s, twice: with widget-gateway consuming beside it, then
 *   with widget-gateway stopped (its consumers run on other nodes in a
 *   deployment; on 2 shared cores they take the CPU call-events would use):
 *   202s per second, and the CPU of call-events (share of
 *   one core, from /proc) — the figure per instance.
 * - CPU shares of call-events, widget-gateway and this process per phase, and
 *   the machine's busy share: the machine is shared, a busy one skews the figures.
 * - The calls are not recorded, so a call.started does not wait for its
 *   recording: `--correlation-wait 0` (widget-gateway's CORRELATION_WAIT) by
 *   default; with a recording lagging the dialer, add that wait to the started events.
 * Targets (issue 7): p99 < 100 ms at 2,000 events/s; ≥ 5,000 events/s ingested
 * per instance. Never a test: the figures go to docs/performance.md.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus } from 'node:os';
import { callEventId } from '@ci-connector/events';
import { RealtimeRig } from '../apps/realtime-e2e/src/testing/rig';
import { SseStream } from '../apps/realtime-e2e/src/testing/sse-stream';
import { percentile } from '../apps/realtime-e2e/src/testing/bounded';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? (argv[i + 1] as string) : dflt;
};
const num = (name: string, dflt: number) => {
  const v = Number(opt(name, String(dflt)));
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a number ≥ 0`);
  return v;
};
const rates = opt('rates', '1000,2000,5000').split(',').map(Number);
const durationS = num('duration', 20);
const warmupS = num('warmup', 3);
const sellerCount = Math.max(1, num('sellers', 50));
const ingestS = num('ingest-seconds', 15);
const ingestConcurrency = Math.max(1, num('ingest-concurrency', 128));
const partitions = Math.max(1, num('partitions', 6));
const correlationWait = opt('correlation-wait', '0');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'n/a');

/** utime + stime of a process, in clock ticks (100 per second). */
function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(f[11]) + Number(f[12]);
}
function machineTicks(): { busy: number; total: number } {
  const f = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').split(/\s+/).slice(1).map(Number);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: f.reduce((a, b) => a + b, 0) - idle, total: f.reduce((a, b) => a + b, 0) };
}

/** CPU shares (of one core) of the named processes over an interval, and the machine's busy share. */
class CpuWindow {
  private readonly t0 = performance.now();
  private readonly ticks0: Map<string, number>;
  private readonly m0 = machineTicks();
  constructor(private readonly pids: Record<string, number>) {
    this.ticks0 = new Map(Object.entries(pids).map(([n, p]) => [n, cpuTicks(p)]));
  }
  read(): string {
    const secs = (performance.now() - this.t0) / 1000;
    const m1 = machineTicks();
    const parts = Object.entries(this.pids).map(([n, p]) => `${n} ${(((cpuTicks(p) - (this.ticks0.get(n) ?? 0)) / 100 / secs) * 100).toFixed(0)}%`);
    const machineBusy = (m1.busy - this.m0.busy) / Math.max(1, m1.total - this.m0.total);
    return `cpu (of one core): ${parts.join(', ')}; machine busy ${(machineBusy * 100).toFixed(0)}% of ${cpus().length} cores`;
  }
}

interface Poster {
  post(path: string, body: string, key: string): Promise<number>;
}

/** POSTs over one keep-alive agent (node:http: cheaper per request than fetch at thousands per second). */
function poster(base: string, apiKey: string): Poster {
  const url = new URL(base);
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  return {
    post: (path, body, key) =>
      new Promise((resolve) => {
        const req = request(
          { host: url.hostname, port: url.port, path, method: 'POST', agent, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'idempotency-key': key } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', () => resolve(0));
        req.end(body);
      }),
  };
}

interface Ctx {
  rig: RealtimeRig;
  tenantId: string;
  partnerId: string;
  sellers: string[];
  http: Poster;
  /** eventId → when its POST was written (performance.now()). */
  sentAt: Map<string, number>;
  /** eventId → latency in ms, when it arrived on its stream. */
  arrived: Map<string, number>;
  /** eventId → Date.now() when its POST was written (the stream entry id is Redis' clock, in ms, on this machine). */
  sentWall: Map<string, number>;
  /** eventId → [POST → appended to the seller's Redis stream (both Kafka hops), appended → on the SSE stream] in ms. */
  legs: Map<string, [number, number]>;
  /** Arrivals of an id already arrived. */
  duplicates: number;
}

let seq = 0;
function event(ctx: Ctx, run: string, j: number) {
  const call = Math.floor(j / 2);
  const callId = `CA-bench-${run.replace(/[^A-Za-z0-9]+/g, '-')}-${call}`;
  const sellerId = ctx.sellers[call % ctx.sellers.length] as string;
  const key = `${callId}-${j % 2 === 0 ? 's' : 'e'}-${++seq}`;
  const path = `/v1/calls/${encodeURIComponent(callId)}/${j % 2 === 0 ? 'started' : 'ended'}`;
  const at = new Date().toISOString();
  const body =
    j % 2 === 0
      ? { tenantId: ctx.tenantId, sellerId, startTime: at, isIncomingCall: true, contactNumber: '+442079460000', contactName: 'Ada Customer' }
      : { tenantId: ctx.tenantId, sellerId, callDurationInSeconds: 42, callTerminationReason: 'success', callEndTime: at, isCallStarted: true };
  return { path, body: JSON.stringify(body), key, eventId: callEventId(ctx.partnerId, key) };
}

/** Open loop at `rate`/s for `seconds`: one line of figures. */
async function latencyRun(ctx: Ctx, label: string, rate: number, seconds: number, pids: Record<string, number>): Promise<string> {
  const n = Math.round(rate * seconds);
  const acks: number[] = [];
  const statuses = new Map<number, number>();
  const accepted: string[] = [];
  const pending = new Set<Promise<void>>();
  let behindMs = 0;
  const cpu = new CpuWindow(pids);
  const t0 = performance.now();
  for (let j = 0; j < n; ) {
    const due = Math.min(n, Math.floor(((performance.now() - t0) / 1000) * rate) + 1);
    behindMs = Math.max(behindMs, performance.now() - t0 - (j / rate) * 1000);
    for (; j < due; j++) {
      const e = event(ctx, label, j);
      const sent = performance.now();
      ctx.sentAt.set(e.eventId, sent);
      ctx.sentWall.set(e.eventId, Date.now());
      const p = ctx.http.post(e.path, e.body, e.key).then((status) => {
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status !== 202) return;
        acks.push(performance.now() - sent);
        accepted.push(e.eventId);
      });
      pending.add(p);
      void p.finally(() => pending.delete(p));
    }
    await sleep(1);
  }
  const sendS = (performance.now() - t0) / 1000;
  await Promise.all(pending);
  // Stragglers: up to 10 s for every accepted event to arrive.
  const deadline = performance.now() + 10_000;
  while (accepted.some((id) => !ctx.arrived.has(id)) && performance.now() < deadline) await sleep(50);
  const cpuLine = cpu.read();
  const lat = accepted.map((id) => ctx.arrived.get(id)).filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  acks.sort((a, b) => a - b);
  const legsOf = (i: 0 | 1) => accepted.map((id) => ctx.legs.get(id)?.[i]).filter((v): v is number => v !== undefined).sort((a, b) => a - b);
  const [toStream, toWidget] = [legsOf(0), legsOf(1)];
  return (
    `${label}: offered ${rate}/s for ${seconds} s (${n} events, sent in ${sendS.toFixed(1)} s${behindMs > 100 ? `, CLIENT-BOUND: up to ${behindMs.toFixed(0)} ms behind schedule` : ''}); ` +
    `answers ${JSON.stringify(Object.fromEntries(statuses))}; ` +
    `ingest→widget p50 ${ms(percentile(lat, 50))}, p90 ${ms(percentile(lat, 90))}, p99 ${ms(percentile(lat, 99))}, p99.9 ${ms(percentile(lat, 99.9))}, max ${ms(lat[lat.length - 1] ?? NaN)} over ${lat.length} delivered; ` +
    `POST→202 p50 ${ms(percentile(acks, 50))}, p99 ${ms(percentile(acks, 99))}; ` +
    `legs (ms clocks): POST→stream append p50 ${ms(percentile(toStream, 50))} p99 ${ms(percentile(toStream, 99))}, append→SSE p50 ${ms(percentile(toWidget, 50))} p99 ${ms(percentile(toWidget, 99))}; ` +
    `lost ${accepted.length - lat.length} of ${accepted.length} accepted; ${cpuLine}`
  );
}

/** Closed loop: `concurrency` posters for `seconds`; 202s per second. */
async function ingestRun(ctx: Ctx, seconds: number, concurrency: number, pids: Record<string, number>) {
  const statuses = new Map<number, number>();
  let j = 0;
  const stopAt = performance.now() + seconds * 1000;
  const cpu = new CpuWindow(pids);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < stopAt) {
        const e = event(ctx, 'ingest', j++);
        ctx.sentAt.set(e.eventId, performance.now());
        const status = await ctx.http.post(e.path, e.body, e.key);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const accepted = statuses.get(202) ?? 0;
  return `ingest, ${concurrency} posters for ${seconds} s: ${(accepted / secs).toFixed(0)} events/s accepted by one call-events instance (answers ${JSON.stringify(Object.fromEntries(statuses))}); ${cpu.read()}`;
}

async function main() {
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`realtime-latency: nproc ${cpus().length}, ${cpus()[0]?.model ?? 'cpu'}; node ${process.version}; load average before ${load}; ${new Date().toISOString()}`);
  console.log(`settings: rates ${rates.join(',')}/s × ${durationS} s (warm-up ${warmupS} s), ${sellerCount} sellers, ${partitions} partitions, CORRELATION_WAIT ${correlationWait}, ingest ${ingestConcurrency} posters × ${ingestS} s`);
  const rig = new RealtimeRig('bench-rt');
  const streams: SseStream[] = [];
  const stop = async () => {
    await Promise.allSettled(streams.map((s) => s.close()));
    await rig.cleanup();
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void stop().finally(() => process.exit(130)));
  try {
    await rig.createTopics(partitions);
    const tenantId = '6f1c0a52-0b7e-4c1e-9a59-1b1f5e0d2c3a';
    await rig.addTenant(tenantId);
    const { key, partnerId } = await rig.apiKey('bench dialer', [tenantId]);
    const env = { LOG_LEVEL: 'warn' };
    const kv = (o: string) => Object.fromEntries(opt(o, '').split(',').filter(Boolean).map((p) => p.split(/=(.*)/s).slice(0, 2) as [string, string]));
    const gatewayEnv = kv('gateway-env');
    const callEventsEnv = kv('call-events-env');
    if (Object.keys({ ...gatewayEnv, ...callEventsEnv }).length > 0) console.log(`extra settings: widget-gateway ${JSON.stringify(gatewayEnv)}, call-events ${JSON.stringify(callEventsEnv)}`);
    const [callEvents, gateway] = await Promise.all([
      rig.startCallEvents({ ...env, KAFKA_TOPIC_PARTITIONS: String(partitions), ...callEventsEnv }),
      rig.startWidgetGateway({ ...env, CORRELATION_WAIT: correlationWait, SSE_MAX_CLIENTS_PER_SELLER: '5', DELIVERY_STREAM_MAXLEN: '100000', ...gatewayEnv }),
    ]);
    const ctx: Ctx = { rig, tenantId, partnerId, sellers: Array.from({ length: sellerCount }, (_, i) => `seller-${i}@contoso.example`), http: poster(callEvents.http, key), sentAt: new Map(), arrived: new Map(), sentWall: new Map(), legs: new Map(), duplicates: 0 };
    for (const sellerId of ctx.sellers) {
      const r = await fetch(`${callEvents.http}/v1/widget-tokens`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ tenantId, sellerId }) });
      const { token } = (await r.json()) as { token: string };
      const s = new SseStream(`${gateway.http}/v1/widget/stream?token=${encodeURIComponent(token)}`, {}, {
        onEvent: (e) => {
          const now = performance.now();
          const wall = Date.now();
          const { eventId } = JSON.parse(e.data) as { eventId: string };
          const sent = ctx.sentAt.get(eventId);
          if (sent === undefined) return;
          if (ctx.arrived.has(eventId)) ctx.duplicates++;
          else {
            ctx.arrived.set(eventId, now - sent);
            const appended = Number(/^(\d+)-/.exec(e.id ?? '')?.[1]);
            const sentWall = ctx.sentWall.get(eventId);
            if (Number.isFinite(appended) && sentWall !== undefined) ctx.legs.set(eventId, [appended - sentWall, wall - appended]);
          }
        },
      });
      streams.push(s);
      if ((await s.opened()) !== 200) throw new Error(`the stream of ${sellerId} answered ${s.statuses[0]}: ${s.lastError}`);
    }
    // The shared stack's Kafka broker and Redis too (deploy/local's PID files), so the machine's busy share can be told apart.
    const stackPid = (c: string) => {
      try {
        return Number(readFileSync(`.local/stack/${c}/${c}.pid`, 'utf8').trim()) || undefined;
      } catch {
        return undefined;
      }
    };
    const pids: Record<string, number> = { 'call-events': callEvents.pid, 'widget-gateway': gateway.pid, bench: process.pid };
    for (const c of ['kafka', 'redis']) {
      const pid = stackPid(c);
      if (pid) pids[c] = pid;
    }
    if (warmupS > 0) console.log(`warm-up (not a figure): ${await latencyRun(ctx, 'warm-up', Math.min(500, rates[0] ?? 500), warmupS, pids)}`);
    for (const rate of rates) {
      console.log(await latencyRun(ctx, `rate ${rate}`, rate, durationS, pids));
      await sleep(1000);
    }
    if (ingestS > 0) {
      console.log(`${await ingestRun(ctx, ingestS, ingestConcurrency, pids)} — widget-gateway consuming on the same 2 cores`);
      // The same with the gateway stopped: in a deployment its consumers run on other nodes, and this is what one call-events instance takes.
      const dupes = ctx.duplicates;
      await gateway.stop();
      const { 'widget-gateway': _gone, ...alone } = pids;
      console.log(`${await ingestRun(ctx, ingestS, ingestConcurrency, alone)} — widget-gateway stopped`);
      ctx.duplicates = dupes;
    }
    console.log(`duplicates on the streams: ${ctx.duplicates}; stream reconnects: ${streams.reduce((n, s) => n + s.connections - 1, 0)}`);
  } finally {
    await stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
