import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, udpPortBound, waitFor } from '@ci-connector/platform-testing';
import { argDefault, parseDockerfile, repoRoot, thirdPartyImages, upstreamVersion } from './images';
import { ngCommand, udpExchange } from './ng';
import { exec, podman, podmanOk } from './podman';

// The smoke test of the rtpengine image: build-all.sh builds it without a registry
// (the local Debian base by debootstrap, then buildah; reused when its inputs did not
// change), then podman (runc, host network, loopback only) runs it twice:
// - as `podman run <image> <rtpengine options>` (tini, the image's config file): it
//   answers an ng ping with pong, an offer with an SDP on the configured interface
//   whose media port it really bound, its HEALTHCHECK passes, nothing runs as root,
//   and `podman stop` ends it with exit 0;
// - as the chart's DaemonSet runs it (charts/ci-connector/templates/rtpengine): its
//   shell command with `ulimit -n` and `--config-file=none`, a read-only root file
//   system, no capabilities: healthy, serving /metrics, exit 0 on SIGTERM.
// Every container it started is removed (label io.ci-connector.smoke=<run>).

const run = randomBytes(4).toString('hex');
const runLabel = `io.ci-connector.smoke=${run}`;
const rtpengine = thirdPartyImages().find((i) => i.name === 'rtpengine')!;
const debianVersion = argDefault(parseDockerfile(readFileSync(join(repoRoot, rtpengine.context, 'Dockerfile'), 'utf8')), rtpengine.versionArg)!;
const image = `localhost/ci-connector/rtpengine:${upstreamVersion(debianVersion)}`;
/** Advertised in SDP, never bound (TEST-NET-1, RFC 5737): proves the interface option reached rtpengine. */
const ADVERTISED = '192.0.2.10';
const STOP_TIMEOUT_S = 20;

interface Ports {
  ng: number;
  cli: number;
  http: number;
  /** A small media range of its own; rtpengine skips ports that are busy. */
  min: number;
  max: number;
}

async function ports(): Promise<Ports> {
  const min = 20000 + 2 * randomInt(0, 5000);
  return { ng: await freePort(), cli: await freePort(), http: await freePort(), min, max: min + 19 };
}

async function logsOf(name: string): Promise<string> {
  const r = await podman(['logs', name]);
  return `${r.stdout}${r.stderr}`.split('\n').slice(-30).join('\n');
}

async function waitHealthy(name: string): Promise<void> {
  await waitFor(`${name}'s HEALTHCHECK`, async () => (await podman(['healthcheck', 'run', name])).code === 0, 30_000, 300).catch(async (err: Error) => {
    throw new Error(`${err.message}\nrtpengine's output:\n${await logsOf(name)}`);
  });
}

/** The processes in the container, from /proc, read with the image's own shell. */
async function processes(name: string): Promise<Array<{ pid: number; ppid: number; uid: number; name: string }>> {
  const script = 'for d in /proc/[0-9]*; do s=$(cat "$d/status" 2>/dev/null) || continue; ' +
    'printf "%s %s %s %s\\n" "${d#/proc/}" "$(printf "%s" "$s" | sed -n "s/^PPid:[[:space:]]*//p")" ' +
    '"$(printf "%s" "$s" | sed -n "s/^Uid:[[:space:]]*\\([0-9]*\\).*/\\1/p")" "$(printf "%s" "$s" | sed -n "s/^Name:[[:space:]]*//p")"; done';
  const out = await podmanOk(['exec', name, 'sh', '-c', script]);
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [pid, ppid, uid, comm] = line.split(' ');
      return { pid: Number(pid), ppid: Number(ppid), uid: Number(uid), name: comm! };
    });
}

/** podman stop (SIGTERM), then the container's end: podman would SIGKILL (137) after STOP_TIMEOUT_S. */
async function stopAndInspect(name: string): Promise<{ stop: number | null; status: string; exitCode: number; oom: boolean; output: string }> {
  const stop = await podman(['stop', '-t', String(STOP_TIMEOUT_S), name], (STOP_TIMEOUT_S + 30) * 1000);
  const state = JSON.parse(await podmanOk(['inspect', '--format', '{{json .State}}', name])) as { Status: string; ExitCode: number; OOMKilled: boolean };
  return { stop: stop.code, status: state.Status, exitCode: state.ExitCode, oom: state.OOMKilled, output: await logsOf(name) };
}

const OFFER_SDP = ['v=0', 'o=- 1001 1 IN IP4 198.51.100.7', 's=-', 'c=IN IP4 198.51.100.7', 't=0 0', 'm=audio 16000 RTP/AVP 0 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=sendrecv', ''].join('\r\n');

beforeAll(async () => {
  // A clean machine: apt installs, the Debian base (debootstrap) and the image.
  const built = await exec('bash', [join(repoRoot, 'deploy/images/build-all.sh'), 'rtpengine'], 540_000);
  if (built.code !== 0) throw new Error(`deploy/images/build-all.sh rtpengine failed (exit ${built.code}):\n${built.stderr.slice(-4000)}`);
}, 600_000);

afterAll(async () => {
  const ids = (await podman(['ps', '-aq', '--filter', `label=${runLabel}`])).stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await podman(['rm', '-f', '-t', '0', ...ids]);
}, 60_000);

describe('image ci-connector/rtpengine', () => {
  it("is Debian's pinned rtpengine, non-root, tini in front, the ng ping as health check", async () => {
    const [config] = JSON.parse(await podmanOk(['image', 'inspect', image])) as Array<{
      Config: { User: string; Entrypoint: string[]; Labels: Record<string, string> };
      Healthcheck?: { Test: string[] };
    }>;
    expect(config!.Config.User).toBe('10001:10001');
    expect(config!.Config.Entrypoint).toEqual(['tini', '--', 'rtpengine']);
    expect(config!.Config.Labels['org.opencontainers.image.version']).toBe(debianVersion);
    expect(config!.Config.Labels['org.opencontainers.image.base.name']).toBe('localhost/ci-connector/debian-base:bookworm');
    expect(config!.Healthcheck?.Test).toEqual(['CMD', 'rtpengine-ping']);
    // What is installed is what the label says.
    const installed = await podmanOk(['run', '--rm', '--label', runLabel, '--network', 'none', '--entrypoint', 'dpkg-query', image, '-W', '-f', '${Version}', 'rtpengine-daemon']);
    expect(installed).toBe(debianVersion);
    const version = await podman(['run', '--rm', '--label', runLabel, '--network', 'none', image, '--version']);
    expect(version.code).toBe(0);
    expect(`${version.stdout}${version.stderr}`).toContain(`Version: ${debianVersion}`);
  });

  it('relays media: ping → pong, an offer gets an SDP on the configured interface, exit 0 on SIGTERM', async () => {
    const p = await ports();
    const name = `smoke-${run}-rtpengine`;
    try {
      await podmanOk([
        'run', '-d', '--name', name, '--label', runLabel, '--network', 'host', '--health-interval', 'disable',
        image,
        `--interface=127.0.0.1!${ADVERTISED}`,
        `--listen-ng=127.0.0.1:${p.ng}`, `--listen-cli=127.0.0.1:${p.cli}`, `--listen-http=127.0.0.1:${p.http}`,
        `--port-min=${p.min}`, `--port-max=${p.max}`,
      ]);
      await waitHealthy(name);

      // The ng ping, byte for byte (docs/ng_control_protocol.md of rtpengine).
      const cookie = `smoke-${randomBytes(4).toString('hex')}`;
      const pong = await udpExchange('127.0.0.1', p.ng, Buffer.from(`${cookie} d7:command4:pinge`), 3000);
      expect(pong.toString()).toBe(`${cookie} d6:result4:ponge`);

      const callId = `smoke-${run}-call`;
      const offer = await ngCommand('127.0.0.1', p.ng, { command: 'offer', 'call-id': callId, 'from-tag': 'caller', sdp: OFFER_SDP });
      expect(offer.result).toBe('ok');
      const sdp = String(offer.sdp);
      const connections = sdp.split(/\r?\n/).filter((l) => l.startsWith('c='));
      expect(connections.length).toBeGreaterThan(0);
      expect(new Set(connections)).toEqual(new Set([`c=IN IP4 ${ADVERTISED}`]));
      const media = /^m=audio (\d+) RTP\/AVP 0 101\r?$/m.exec(sdp);
      expect(media).not.toBeNull();
      const port = Number(media![1]);
      expect(port).toBeGreaterThanOrEqual(p.min);
      expect(port).toBeLessThanOrEqual(p.max);
      // rtpengine bound it on the media interface's address (host network: the host's loopback).
      expect(udpPortBound(port)).toBe(true);
      expect(await ngCommand('127.0.0.1', p.ng, { command: 'delete', 'call-id': callId, 'from-tag': 'caller' })).toMatchObject({ result: 'ok' });

      const procs = await processes(name);
      expect(procs.find((x) => x.pid === 1)).toMatchObject({ name: 'tini', uid: 10001 });
      expect(procs.find((x) => x.ppid === 1 && x.name === 'rtpengine')).toMatchObject({ uid: 10001 });
      expect(procs.filter((x) => x.uid === 0)).toEqual([]);

      const end = await stopAndInspect(name);
      expect({ stop: end.stop, status: end.status, exitCode: end.exitCode, oom: end.oom }).toEqual({ stop: 0, status: 'exited', exitCode: 0, oom: false });
      expect(end.output).toMatch(/Version \S+ shutting down/);
    } finally {
      await podman(['rm', '-f', '-t', '0', name]);
    }
  });

  it("runs as the chart's DaemonSet runs it: its shell command, read-only, no capabilities", async () => {
    const p = await ports();
    const name = `smoke-${run}-rtpengine-chart`;
    // The container command of charts/ci-connector/templates/rtpengine/daemonset.yaml,
    // with the values' limits (openFiles 20000, maxSessions 2400) and this run's ports.
    const script = [
      'ulimit -n 20000 || { echo "cannot raise the open files limit" >&2; exit 1; }',
      'iface="$MEDIA_IP"',
      '[ "$ADVERTISED_IP" = "$MEDIA_IP" ] || iface="$MEDIA_IP!$ADVERTISED_IP"',
      'exec rtpengine --config-file=none --foreground --log-stderr --table=-1 \\',
      '  --interface="$iface" \\',
      `  --listen-ng="$NG_ADDRESS:${p.ng}" \\`,
      `  --listen-cli="127.0.0.1:${p.cli}" \\`,
      `  --listen-http="$NODE_IP:${p.http}" \\`,
      `  --port-min=${p.min} --port-max=${p.max} \\`,
      '  --max-sessions=2400 \\',
      '  --log-level=6',
    ].join('\n');
    try {
      await podmanOk([
        'run', '-d', '--name', name, '--label', runLabel, '--network', 'host', '--health-interval', 'disable',
        // the pod's securityContext: user 10001, read-only root, no capabilities, no privilege escalation; /tmp an emptyDir
        '--user', '10001:10001', '--read-only', '--tmpfs', '/tmp', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
        '-e', 'NODE_IP=127.0.0.1', '-e', 'MEDIA_IP=127.0.0.1', '-e', `ADVERTISED_IP=${ADVERTISED}`, '-e', 'NG_ADDRESS=127.0.0.1',
        '--entrypoint', '["tini", "--", "/bin/sh", "-c"]',
        image,
        script,
      ]);
      // rtpengine-ping finds --listen-ng in rtpengine's command line.
      await waitHealthy(name);
      const metrics = await fetch(`http://127.0.0.1:${p.http}/metrics`, { signal: AbortSignal.timeout(3000) });
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toMatch(/^rtpengine_sessions\{type="own"\} 0$/m);
      const procs = await processes(name);
      expect(procs.find((x) => x.pid === 1)).toMatchObject({ name: 'tini', uid: 10001 });
      expect(procs.find((x) => x.name === 'rtpengine')).toMatchObject({ uid: 10001 });
      expect(procs.filter((x) => x.uid === 0)).toEqual([]);
      // the chart's readiness probe
      await podmanOk(['exec', name, 'rtpengine-ping']);

      const end = await stopAndInspect(name);
      expect({ stop: end.stop, status: end.status, exitCode: end.exitCode, oom: end.oom }).toEqual({ stop: 0, status: 'exited', exitCode: 0, oom: false });
      expect(end.output).toMatch(/Version \S+ shutting down/);
    } finally {
      await podman(['rm', '-f', '-t', '0', name]);
    }
  });
});
