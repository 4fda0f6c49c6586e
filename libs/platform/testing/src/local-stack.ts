import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** Where deploy/local's servers listen, as `stack.sh up` wrote it. */
export interface StackEndpoints {
  redisUrl: string;
  kafkaBrokers: string[];
  rtpengineNg: { host: string; port: number };
  raw: Record<string, string>;
}

const repoRoot = resolve(__dirname, '../../../..');

export function stackWorkDir(): string {
  return process.env['CI_CONNECTOR_WORK'] ?? join(repoRoot, '.local');
}

function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const [, key, value] = /^\s*([A-Z0-9_]+)=(.*)$/.exec(line) ?? [];
    if (key !== undefined && value !== undefined) out[key] = value.replace(/^["']|["']$/g, '');
  }
  return out;
}

/** Reads the endpoints file; a clear error if the stack was never brought up. */
export function stackEndpoints(): StackEndpoints {
  const file = join(stackWorkDir(), 'stack', 'endpoints.env');
  if (!existsSync(file)) {
    throw new Error(`the local stack is not up (no ${file}): run \`bash deploy/local/stack.sh up\` first, or the README's test command`);
  }
  const raw = parseEnvFile(readFileSync(file, 'utf8'));
  const need = (k: string) => {
    const v = raw[k];
    if (!v) throw new Error(`${file} has no ${k}: run \`bash deploy/local/stack.sh up\` again`);
    return v;
  };
  const [ngHost = '', ngPort = ''] = need('CI_RTPENGINE_NG').split(':');
  return {
    redisUrl: need('CI_REDIS_URL'),
    kafkaBrokers: need('CI_KAFKA_BROKERS').split(','),
    rtpengineNg: { host: ngHost, port: Number(ngPort) },
    raw,
  };
}

/** The PID a component's PID file holds, or undefined when it is not running. */
export function stackComponentPid(component: 'redis' | 'kafka' | 'rtpengine'): number | undefined {
  const file = join(stackWorkDir(), 'stack', component, `${component}.pid`);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Runs `stack.sh up`, which starts whatever is not running and leaves the rest. */
export async function stackUp(): Promise<void> {
  await promisify(execFile)('bash', [join(repoRoot, 'deploy/local/stack.sh'), 'up'], { timeout: 180_000 });
}
