import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startEmulator, type EmulatorProcess } from '@ci-connector/ci-emulator-testing';
import { createLogger } from '@ci-connector/platform-logging';
import { waitFor } from '@ci-connector/platform-testing';
import type { SipStack } from '@ci-connector/sip';
import { createOptionsPinger, createRecorderSipStack, RecorderPool, type RecorderPoolSnapshot } from './index';

// The pool against the REAL ci-emulator process as two recorders (uksouth, global):
// OPTIONS over SIPS with the carrier's registered certificate; `nx build ci-emulator` first.
const APP = '4d4d4d4d-4444-4444-8444-444444444444';
const TENANT = 'c0c0c0c0-cccc-4ccc-8ccc-cccccccccccc';
const emulatorFile = {
  apps: [{ clientId: APP, secrets: ['s3cret'] }],
  tenants: [{ tenantId: TENANT, consents: [{ clientId: APP, roles: ['Users.Read.All'] }] }],
  registrations: [
    {
      tenantId: TENANT,
      clientId: APP,
      orgId: 'ad3dca46-962a-4895-9f85-d25f3828781f',
      Type: 'custom',
      hosting: 'cloud',
      displayName: 'Example Carrier',
      AuthenticationDetails: { AccountId: 'AC0123456789', CertificateSubjectName: 'sbc.carrier.example', CertificateIssuer: 'ci-emulator test CA', SourceIPNetwork: '127.0.0.1' },
    },
  ],
};

describe('RecorderPool with the ci-emulator as recorders', () => {
  let uk: EmulatorProcess;
  let global: EmulatorProcess;
  const stacks: SipStack[] = [];
  const pools: RecorderPool[] = [];
  const logger = createLogger({ name: 'recorder-pool-int', level: 'silent' });

  beforeAll(async () => {
    uk = await startEmulator({ configFile: emulatorFile, clients: [['stranger', 'sbc.stranger.example']] });
    // The same PKI for both, so one carrier certificate is trusted by both.
    global = await startEmulator({ configFile: emulatorFile, certsDir: uk.certsDir });
  });
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.stop()));
    await Promise.all(stacks.map((s) => s.close()));
    await global?.stop();
    await uk?.stop();
  });

  const pem = (name: string) => readFileSync(join(uk.certsDir, name));
  const poolWith = async (client: string, openCircuits: 'last' | 'skip' = 'last') => {
    const stack = await createRecorderSipStack({ ca: pem('ca.pem'), cert: pem(`${client}.pem`), key: pem(`${client}-key.pem`) }, { connectTimeoutMs: 2000 });
    stacks.push(stack);
    const pool = new RecorderPool({
      logger,
      hostOverrides: { uksouth: `127.0.0.1:${uk.sipPort}`, global: `127.0.0.1:${global.sipPort}` },
      health: { pingIntervalMs: 200, breaker: { failureThreshold: 2, openMs: 60_000 } },
      pinger: createOptionsPinger({ stack, timeoutMs: 1500 }),
      openCircuits,
    });
    pools.push(pool);
    return pool;
  };
  const ukUri = () => `sip:SRS@127.0.0.1:${uk.sipPort};transport=tls`;
  const globalUri = () => `sip:SRS@127.0.0.1:${global.sipPort};transport=tls`;
  const stateOf = (pool: RecorderPool, uri: string): RecorderPoolSnapshot | undefined => pool.snapshot().find((s) => s.uri === uri);

  it('a certificate the recorder does not admit: the TLS connection is refused, the recorders are down and their circuits open', async () => {
    const pool = await poolWith('stranger');
    pool.targetsFor({ region: 'uksouth' });
    pool.start();
    await waitFor('both circuits open', () => pool.snapshot().every((s) => s.state === 'open') || undefined, 30_000, 50);
    expect(stateOf(pool, ukUri())).toMatchObject({ status: 'down', lastError: expect.stringMatching(/^OPTIONS (transport error|not answered)/) });
    expect(pool.readiness()).toMatchObject({ ok: true, degraded: true });
    const rejections = await uk.request('GET', '/emulator/recorder/rejections');
    expect(JSON.stringify(rejections.json)).toMatch(/sbc\.stranger\.example/);
  });

  it('the registered carrier certificate: pings answered → up; a recorder stopped → down, its circuit opens, targetsFor puts it last (or skips it)', async () => {
    const pool = await poolWith('carrier');
    const skipping = await poolWith('carrier', 'skip');
    for (const p of [pool, skipping]) {
      expect(p.targetsFor({ region: 'uksouth' }).map((t) => t.uri)).toEqual([ukUri(), globalUri()]);
      p.start();
    }
    await waitFor('both recorders up', () => [pool, skipping].every((p) => p.snapshot().length === 2 && p.snapshot().every((s) => s.status === 'up')) || undefined, 30_000, 50);
    expect(stateOf(pool, ukUri())).toMatchObject({ state: 'closed', consecutiveFailures: 0, lastOkAt: expect.any(Number) });
    expect(pool.readiness()).toEqual({ ok: true, recorders: expect.any(Array) });

    await uk.stop({ keep: true });
    await waitFor('the stopped recorder down with its circuit open', () => [pool, skipping].every((p) => stateOf(p, ukUri())?.state === 'open') || undefined, 30_000, 50);
    expect(stateOf(pool, ukUri())).toMatchObject({ status: 'down', lastError: expect.stringMatching(/^OPTIONS (transport error|not answered)/) });
    expect(stateOf(pool, globalUri())).toMatchObject({ status: 'up', state: 'closed' });
    expect(pool.targetsFor({ region: 'uksouth' }).map((t) => t.uri)).toEqual([globalUri(), ukUri()]);
    expect(skipping.targetsFor({ region: 'uksouth' }).map((t) => t.uri)).toEqual([globalUri()]);
    expect(pool.readiness()).toMatchObject({ ok: true, degraded: true, down: [ukUri()] });
  });
});
