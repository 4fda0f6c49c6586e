/**
 * rtpengine's ng round trips as sip-signaling makes them (libs/media/rtpengine
 * over loopback UDP), one call at a time: `offer` (ICE removed, as the B2BUA
 * anchors a call), `answer`, `delete`, per rtpengine configuration, so a
 * setting's effect on the set-up delay's tail can be seen before the delay
 * benchmark runs. Each variant gets a private rtpengine (same binary and config
 * style as deploy/local/stack.sh) on 127.0.0.1; the variants take turns in
 * rounds so a busy machine disturbs them alike.
 *
 *   node -r ./bench/cjs-register.cjs bench/rtpengine-ng.bench.ts \
 *     [--calls 2000] [--rounds 4] [--variant 'name:key=value;key=value']…
 *
 * Default variants: "packaged" (what deploy/local writes) and "quiet"
 * (log-level 5: no per-command info lines). Never a test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRtpengine, type Rtpengine } from '@ci-connector/rtpengine';
import { freePort, waitFor } from '@ci-connector/platform-testing';

const argv = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && argv[i + 1] !== undefined ? (argv[i + 1] as string) : dflt;
};
const calls = Number(opt('calls', '2000'));
const rounds = Number(opt('rounds', '4'));
const variantArgs = argv.flatMap((a, i) => (a === '--variant' && argv[i + 1] ? [argv[i + 1] as string] : []));
const variants = (variantArgs.length ? variantArgs : ['packaged:', 'quiet:log-level=5']).map((v) => {
  const [name, settings = ''] = v.split(/:(.*)/s) as [string, string?];
  return { name, lines: settings.split(';').filter(Boolean) };
});

const offerSdp = (port: number) =>
  ['v=0', `o=- ${port} 1 IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/AVP 0 8 101`, 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20', 'a=sendrecv', ''].join('\r\n');

interface Engine {
  name: string;
  child: ChildProcess;
  ng: Rtpengine;
  samples: { offer: number[]; answer: number[]; delete: number[] };
}

async function start(name: string, lines: string[], work: string): Promise<Engine> {
  const ngPort = await freePort();
  const conf = join(work, `${name}.conf`);
  writeFileSync(conf, ['[rtpengine]', 'table = -1', 'interface = 127.0.0.1', `listen-ng = 127.0.0.1:${ngPort}`, 'port-min = 30000', 'port-max = 39999', 'foreground = true', 'log-stderr = true', ...lines, ''].join('\n'));
  const log = openSync(join(work, `${name}.log`), 'a');
  const child = spawn('rtpengine', [`--config-file=${conf}`, '--config-section=rtpengine'], { stdio: ['ignore', log, log] });
  const ng = createRtpengine({ host: '127.0.0.1', port: ngPort, timeoutMs: 2000 });
  await waitFor(`rtpengine ${name}`, async () => (await ng.ping().then(() => true, () => false)), 10_000, 100);
  return { name, child, ng, samples: { offer: [], answer: [], delete: [] } };
}

function pctl(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
}
const ms = (x: number) => `${x.toFixed(2)} ms`;

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'rtpengine-ng-'));
  console.log(`rtpengine-ng: nproc ${cpus().length}, ${cpus()[0]?.model}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${new Date().toISOString()}`);
  console.log(`${calls} calls per variant in ${rounds} rounds; variants: ${variants.map((v) => `${v.name} [${v.lines.join('; ') || 'as deploy/local'}]`).join(', ')}`);
  const engines: Engine[] = [];
  try {
    for (const v of variants) engines.push(await start(v.name, v.lines, work));
    let n = 0;
    for (let r = 0; r < rounds; r++) {
      for (const e of engines) {
        for (let i = 0; i < Math.ceil(calls / rounds); i++) {
          const callId = `ngb-${e.name}-${r}-${i}-${n++}`;
          let t = performance.now();
          await e.ng.offer({ callId, fromTag: 'a', sdp: offerSdp(20000 + (i % 1000) * 2), iceRemove: true });
          e.samples.offer.push(performance.now() - t);
          t = performance.now();
          await e.ng.answer({ callId, fromTag: 'a', toTag: 'b', sdp: offerSdp(24000 + (i % 1000) * 2), iceRemove: true });
          e.samples.answer.push(performance.now() - t);
          t = performance.now();
          await e.ng.delete({ callId });
          e.samples.delete.push(performance.now() - t);
        }
      }
    }
    for (const e of engines) {
      const line = (['offer', 'answer', 'delete'] as const).map((c) => `${c} p50 ${ms(pctl(e.samples[c], 50))} p99 ${ms(pctl(e.samples[c], 99))} max ${ms(Math.max(...e.samples[c]))}`).join('; ');
      console.log(`${e.name}: ${line}`);
    }
  } finally {
    for (const e of engines) {
      await e.ng.close().catch(() => undefined);
      if (e.child.pid) process.kill(e.child.pid, 'SIGTERM');
    }
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
