// Onboards the demo tenant the way docs/onboarding-a-tenant.md tells a carrier
// to, through registration-service's REST API with the bootstrap admin key:
// create it, register it at the CI providers API (the ci-emulator), ask for a
// sync of its users to record, and wait until policy-sync-worker has put them
// in Redis. Safe to run again: every step checks what is there first.
// Run by `bash scripts/system.sh up` and `demo`, which set its environment.
import { readFileSync } from 'node:fs';
import { onTheLiveList, recordedUser } from './directory.mjs';
import { DemoError, GiveUp, demoConfig, describeAnswer, http, runMain, say, waitFor } from './lib.mjs';

const ORG_ID = 'ad3dca46-962a-4895-9f85-d25f3828781f';

/** The tenant as the carrier creates it (onboarding step 1): recorded in uksouth, the carrier's demo certificate, calls from loopback. */
const tenantBody = (cfg) => ({
  id: cfg.tenantId,
  orgId: ORG_ID,
  displayName: 'Contoso',
  region: 'uksouth',
  accountId: cfg.accountId,
  certificate: { subject: 'sbc.carrier.example', issuer: 'ci-emulator test CA' },
  sourceIpNetwork: '127.0.0.1',
  recordingMode: 'automatic',
  defaultCountry: 'US',
});

async function main() {
  const cfg = demoConfig();
  const R = cfg.registrationUrl;
  const T = cfg.tenantId;
  const key = readFileSync(cfg.adminKeyFile, 'utf8').trim();
  const auth = { authorization: `Bearer ${key}` };
  const api = async (method, path, json) => http(`${R}${path}`, { method, headers: auth, ...(json !== undefined ? { json } : {}) });
  say(`Onboarding the demo tenant ${T} (docs/onboarding-a-tenant.md) through registration-service ${R}:`);

  // 1. The tenant. One registered at an emulator that has restarted since (it
  // keeps its registrations in memory) is unknown there, while registration-service
  // would answer "unchanged" without asking: delete it and onboard it afresh.
  let got = await api('GET', `/tenants/${T}`);
  if (got.status === 200 && got.json.status?.state === 'registered') {
    const regs = await http(`${cfg.emulatorUrl}/emulator/registrations`, { ca: cfg.ca });
    if (regs.status !== 200) throw new DemoError(`GET ${cfg.emulatorUrl}/emulator/registrations: ${describeAnswer(regs)}`);
    if (!regs.json.registrations.some((r) => r.tenantId === T)) {
      say('  the tenant is registered in registration-service but the ci-emulator (restarted since) does not know it: deleting it to onboard it again');
      const del = await api('DELETE', `/tenants/${T}`);
      if (del.status !== 204) throw new DemoError(`DELETE ${R}/tenants/${T}: ${describeAnswer(del)}`);
      got = await api('GET', `/tenants/${T}`);
    }
  }
  if (got.status === 404) {
    const created = await api('POST', '/tenants', tenantBody(cfg));
    if (created.status !== 201) throw new DemoError(`POST ${R}/tenants: ${describeAnswer(created)}`);
    say(`  1. created (POST /tenants): region uksouth, AccountId ${cfg.accountId}, certificate sbc.carrier.example / ci-emulator test CA, source 127.0.0.1`);
  } else if (got.status === 200) {
    say(`  1. already there (GET /tenants/${T}: ${got.json.status?.state})`);
  } else {
    throw new DemoError(`GET ${R}/tenants/${T}: ${describeAnswer(got)}`);
  }

  // 2-3. Register it at the CI providers API and wait for the outcome.
  const reg = await api('POST', `/tenants/${T}/register`);
  if (reg.status !== 200 && reg.status !== 202) throw new DemoError(`POST ${R}/tenants/${T}/register: ${describeAnswer(reg)}`);
  const status = await waitFor(
    'the registration (GET /tenants/{id} status registered)',
    async (note) => {
      const t = await api('GET', `/tenants/${T}`);
      if (t.status !== 200) throw new DemoError(`GET ${R}/tenants/${T}: ${describeAnswer(t)}`);
      const s = t.json.status;
      if (s.state === 'failed') throw new GiveUp(`registration failed: ${s.lastError ?? 'no error given'} (see docs/onboarding-a-tenant.md, "Errors and what to do")`);
      note(`state ${s.state}, ${s.attempts} attempts${s.lastError ? `, last error: ${s.lastError}` : ''}`);
      return s.state === 'registered' ? s : undefined;
    },
    30_000,
  );
  say(`  2. registered at the CI providers API (POST /tenants/${T}/register: ${reg.json.outcome}; registered at ${status.registeredAt})`);

  // 5. A sync now, and its result in Redis (policy-sync-worker's /status reads the list's meta from there).
  const asked = Date.now();
  const sync = await api('POST', `/tenants/${T}/sync`);
  if (sync.status !== 202) throw new DemoError(`POST ${R}/tenants/${T}/sync: ${describeAnswer(sync)}`);
  const row = await waitFor(
    "policy-sync-worker's sync of the demo tenant's users",
    async (note) => {
      const s = await http(`${cfg.policySyncUrl}/status`);
      if (s.status !== 200) throw new DemoError(`GET ${cfg.policySyncUrl}/status: ${describeAnswer(s)}`);
      const t = s.json.tenants.find((x) => x.tenantId === T);
      if (t?.lastError && t.lastAttemptAt && Date.parse(t.lastAttemptAt) >= asked - 1000) note(`last attempt failed: ${t.lastError}`);
      return t?.syncedAt && Date.parse(t.syncedAt) >= asked - 1000 ? t : undefined;
    },
    60_000,
    250,
  );
  say(`  3. users to record synced to Redis (POST /tenants/${T}/sync; policy-sync-worker ${cfg.policySyncUrl}/status): ${row.users} users, ${row.identities} identities, version ${row.version}`);

  // The seller the demo calls must be on that list.
  const seller = await recordedUser(cfg);
  const listed = await onTheLiveList(cfg, seller.phone);
  if (listed !== true) {
    throw new DemoError(`${seller.displayName} (${seller.phone}), listed by the providers API, is ${listed === undefined ? 'not in Redis: the tenant has no live list' : "not on the tenant's live list in Redis"} (key ${cfg.redisPrefix}policy:${T}:current)`);
  }
  say(`  4. ${seller.displayName} (${seller.phone}) is a seller to record: in Redis at ${cfg.redisPrefix}policy:${T}:v:${row.version} as tel:${seller.phone}`);
  return 0;
}

runMain('onboard', main);
