// A network namespace of the benchmark's own: a loopback of its own (127.0.0.0/8
// inside), so the private rtpengine, Redis, emulator(s), sip-signaling and sipp
// of a recording benchmark have every port to themselves and never meet the
// shared stack of deploy/local or another engineer's tests.
//
//   if (await enterNamespace('ss-bench')) return; // the outer process only waited
//
// The outer process creates the namespace (`ip netns add`, `ip link set lo up`,
// ephemeral ports moved to 60000-65535 inside so they never land in the media
// ranges), runs this same script again inside it (`ip netns exec`), forwards
// Ctrl-C / SIGTERM to it, and when it ends, whatever the way, kills what is
// still running in the namespace (by PID: `ip netns pids`) and deletes it.
// Inside, TMPDIR is /dev/shm (tmpfs): the logs, the emulator's WAV files and
// sipp's statistics never wait for a disk that other engineers' jobs keep busy
// (a synchronous log write blocked in writeback throttling showed up as
// milliseconds of added call set-up delay).
import { execFileSync, spawn } from 'node:child_process';

const ENV = 'SS_BENCH_NETNS';

/** The namespace this process runs in (set by enterNamespace), or undefined outside. */
export function currentNamespace(): string | undefined {
  return process.env[ENV];
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function pidsIn(ns: string): number[] {
  try {
    return ip('netns', 'pids', ns)
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
      .filter((p) => Number.isInteger(p) && p > 0);
  } catch {
    return [];
  }
}

/** Kills what still runs in the namespace (TERM, then KILL after 3 s), then deletes it. */
export async function removeNamespace(ns: string): Promise<void> {
  for (const sig of ['SIGTERM', 'SIGKILL'] as const) {
    const pids = pidsIn(ns);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, sig);
      } catch {
        // already gone
      }
    }
    const until = Date.now() + 3_000;
    while (Date.now() < until && pidsIn(ns).length > 0) await new Promise((r) => setTimeout(r, 100));
  }
  try {
    ip('netns', 'del', ns);
  } catch {
    // already deleted
  }
}

/**
 * Outside the namespace: creates it, re-runs this script inside, waits, tears
 * down, and resolves true (the caller returns; the exit code is the inner
 * run's). Inside: resolves false at once (the caller does the work).
 */
export async function enterNamespace(prefix: string): Promise<boolean> {
  if (currentNamespace()) return false;
  const ns = `${prefix}-${process.pid}`;
  ip('netns', 'add', ns);
  const cleanup = () => removeNamespace(ns);
  try {
    ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up');
    // Per-namespace: the kernel's ephemeral ports stay clear of the media ranges (10000-59999).
    ip('netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv4.ip_local_port_range=60000 65535');
  } catch (err) {
    await cleanup();
    throw err;
  }
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, [ENV]: ns, TMPDIR: process.env['SS_BENCH_TMPDIR'] ?? '/dev/shm' },
  });
  let interrupted = 0;
  const forward = (sig: NodeJS.Signals) => {
    interrupted++;
    if (interrupted === 1) child.kill(sig); // the inner run stops its processes by PID itself
    else void cleanup().then(() => process.exit(130)); // a second Ctrl-C: no more waiting
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const code = await new Promise<number>((resolve) => child.on('exit', (c, s) => resolve(c ?? (s ? 130 : 1))));
  await cleanup();
  process.exitCode = code;
  return true;
}
