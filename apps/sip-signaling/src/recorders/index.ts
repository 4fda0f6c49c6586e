import { recorderTarget, type RecorderTarget } from '@ci-connector/siprec';
import { RECORDER_REGIONS, type RecorderRegion } from '@ci-connector/tenancy';

export { RecorderPool, type RecorderOutcome, type RecorderOutcomeShort, type RecorderPoolOptions, type RecorderPoolSnapshot, type RecorderUpState, type PoolLogger } from './recorder-pool';
export { createOptionsPinger, createRecorderSipStack, type RecorderPinger, type OptionsPingerOptions, type RecorderTlsIdentity } from './options-pinger';
export { recorderPoolEnv, recorderPoolConfig, type RecorderPoolConfig } from './config';

/** The recorders of these regions (with the overrides), to ping from the start. */
export function regionTargets(regions: readonly RecorderRegion[], hostOverrides: Partial<Record<RecorderRegion, string>> = {}): RecorderTarget[] {
  return regions.map((r) => recorderTarget(hostOverrides[r] ?? RECORDER_REGIONS[r].host, r));
}
