import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './images';

// Running the build scripts and podman from the smoke tests.

/** podman's default runtime (crun) fails on these machines: runc, capped ulimits. */
export const CONTAINERS_CONF = join(repoRoot, 'deploy/images/containers.conf');

export interface ExecResult {
  /** The exit code; null when killed (e.g. by the timeout). */
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command from the repository's root with CONTAINERS_CONF set; never rejects. */
export function exec(cmd: string, args: string[], timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: repoRoot, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, CONTAINERS_CONF } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : null) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

export const podman = (args: string[], timeoutMs = 60_000): Promise<ExecResult> => exec('podman', args, timeoutMs);

/** podman's standard output; throws with its error output when it fails. */
export async function podmanOk(args: string[], timeoutMs?: number): Promise<string> {
  const r = await podman(args, timeoutMs);
  if (r.code !== 0) throw new Error(`podman ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}
