export * from './api';
export { DEFAULT_PREFIX, keys, type Keys, type StoreOptions } from './keys';
export {
  E164_RE,
  identitiesOfUser,
  identityCandidates,
  needsDefaultCountry,
  normaliseObjectId,
  normalisePhone,
  normaliseUpn,
  oidKey,
  telKey,
  upnKey,
  type UserIdentities,
} from './identity';
export { createTenantStore } from './tenant-store';
export { createApiKeyStore, hashApiKey, API_KEY_RE } from './api-key-store';
export { createPolicyStore, newPolicyVersion, PolicyVersionConflictError, type PolicyStoreOptions } from './policy-store';
export { createSyncScheduler } from './sync-scheduler';
export { createRecordingPolicy, PolicyLookupError, type RecordingPolicyOptions } from './recording-policy';
export { subscribePolicyUpdates, type PolicyUpdatesOptions, type PolicyUpdatesSubscription } from './policy-updates';
