/**
 * The CI recorder endpoints of the seed's table ("Recorder endpoints and regions
 * supported"). `global` is media.recording.dynamics.com (the closest region); every
 * other name is the host's first label. SIPREC goes to `sips:<host>:5061`.
 */
export const RECORDER_REGIONS = {
  global: { host: 'media.recording.dynamics.com', name: 'Global (closest region)' },
  southeastasia: { host: 'southeastasia.media.recording.dynamics.com', name: 'Southeast Asia' },
  australiaeast: { host: 'australiaeast.media.recording.dynamics.com', name: 'Australia' },
  sam: { host: 'sam.media.recording.dynamics.com', name: 'South America' },
  canadacentral: { host: 'canadacentral.media.recording.dynamics.com', name: 'Canada' },
  switzerlandnorth: { host: 'switzerlandnorth.media.recording.dynamics.com', name: 'Switzerland' },
  eastus: { host: 'eastus.media.recording.dynamics.com', name: 'US' },
  francecentral: { host: 'francecentral.media.recording.dynamics.com', name: 'France' },
  centralindia: { host: 'centralindia.media.recording.dynamics.com', name: 'India' },
  japaneast: { host: 'japaneast.media.recording.dynamics.com', name: 'Japan' },
  uae: { host: 'uae.media.recording.dynamics.com', name: 'UAE' },
  uksouth: { host: 'uksouth.media.recording.dynamics.com', name: 'UK' },
  westeurope: { host: 'westeurope.media.recording.dynamics.com', name: 'West Europe' },
  zaf: { host: 'zaf.media.recording.dynamics.com', name: 'South Africa' },
} as const;

export type RecorderRegion = keyof typeof RECORDER_REGIONS;

export const RECORDER_REGION_NAMES = Object.keys(RECORDER_REGIONS) as RecorderRegion[];

export function isRecorderRegion(value: string): value is RecorderRegion {
  return Object.prototype.hasOwnProperty.call(RECORDER_REGIONS, value);
}
