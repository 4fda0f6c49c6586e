import { z } from 'zod';
import { envBool, envDurationMs, envInt, envList } from '@ci-connector/platform-config';
import { isRecorderRegion, RECORDER_REGION_NAMES, type RecorderRegion } from '@ci-connector/tenancy';

// Variables of the recorder pool (failover order, circuit breakers, OPTIONS
// pings), to spread into the app's schema in config/config.ts:
// `z.object({ ...existing, ...recorderPoolEnv })`, then
// `recorders: recorderPoolConfig(e)` in build(). The pings go out on the
// SIPREC sessions' own SIP stack, with its client certificate
// (RECORDING_TLS_CERT_FILE/KEY_FILE/CA_FILE of config/config.ts): no variables
// of their own here.

const REGION_OVERRIDE = /^([a-z]+|\*)=(\S+)$/;

export const recorderPoolEnv = {
  RECORDER_HOST_OVERRIDES: envList(
    z
      .string()
      .regex(REGION_OVERRIDE, 'not region=host[:port]')
      .refine((v) => {
        const r = REGION_OVERRIDE.exec(v)?.[1] ?? '';
        return r === '*' || isRecorderRegion(r);
      }, `unknown region; one of *, ${RECORDER_REGION_NAMES.join(', ')}`),
  )
    .optional()
    .describe('a comma-separated list of region=host[:port] (`*` = every region), e.g. *=127.0.0.1:15061 for the ci-emulator'),
  RECORDER_GLOBAL_FALLBACK: envBool(true),
  RECORDER_PING_INTERVAL: envDurationMs('30s'),
  RECORDER_PING_TIMEOUT: envDurationMs('5s'),
  RECORDER_PING_REGIONS: envList(z.string().refine(isRecorderRegion, `unknown region; one of ${RECORDER_REGION_NAMES.join(', ')}`))
    .optional()
    .describe('a comma-separated list of regions whose recorders are pinged from the start (others once a call used them)'),
  RECORDER_CIRCUIT_FAILURES: envInt({ min: 1, max: 100, default: 3 }).describe('consecutive failures that open a recorder\'s circuit (a whole number)'),
  RECORDER_CIRCUIT_OPEN: envDurationMs('30s').describe('how long an open circuit skips its recorder before one probe (a duration)'),
  RECORDER_OPEN_CIRCUITS: z.enum(['last', 'skip']).default('last').describe('last (recorders with an open circuit are tried after the others) or skip'),
};

export interface RecorderPoolConfig {
  hostOverrides?: Partial<Record<RecorderRegion, string>>;
  globalFallback: boolean;
  pingIntervalMs: number;
  pingTimeoutMs: number;
  pingRegions: RecorderRegion[];
  breaker: { failureThreshold: number; openMs: number };
  openCircuits: 'last' | 'skip';
}

type RecorderPoolEnv = z.output<z.ZodObject<typeof recorderPoolEnv>>;

/** Maps the variables; throws a list of problems (variable + what is wrong) for rules across variables. */
export function recorderPoolConfig(e: RecorderPoolEnv): { config: RecorderPoolConfig; problems: { variable: string; problem: string }[] } {
  const problems: { variable: string; problem: string }[] = [];
  let hostOverrides: Partial<Record<RecorderRegion, string>> | undefined;
  if (e.RECORDER_HOST_OVERRIDES) {
    hostOverrides = {};
    for (const item of e.RECORDER_HOST_OVERRIDES) {
      const [, region = '', host = ''] = REGION_OVERRIDE.exec(item) ?? [];
      const regions = region === '*' ? RECORDER_REGION_NAMES : [region as RecorderRegion];
      for (const r of regions) hostOverrides[r] = host;
    }
  }
  if (e.RECORDER_PING_TIMEOUT >= e.RECORDER_PING_INTERVAL) problems.push({ variable: 'RECORDER_PING_TIMEOUT', problem: 'must be shorter than RECORDER_PING_INTERVAL' });
  return {
    problems,
    config: {
      ...(hostOverrides ? { hostOverrides } : {}),
      globalFallback: e.RECORDER_GLOBAL_FALLBACK,
      pingIntervalMs: e.RECORDER_PING_INTERVAL,
      pingTimeoutMs: e.RECORDER_PING_TIMEOUT,
      pingRegions: (e.RECORDER_PING_REGIONS ?? []) as RecorderRegion[],
      breaker: { failureThreshold: e.RECORDER_CIRCUIT_FAILURES, openMs: e.RECORDER_CIRCUIT_OPEN },
      openCircuits: e.RECORDER_OPEN_CIRCUITS,
    },
  };
}
