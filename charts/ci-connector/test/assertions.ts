import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from './manifests';
import { find, REPO_ROOT } from './manifests';

// What must hold in every render of the chart, as functions returning the
// problems they find (none = holds), so a broken chart names what broke.

/** The five services of ours (an image each) and the third-party rtpengine. */
export const APPS = ['registration-service', 'policy-sync-worker', 'sip-signaling', 'call-events', 'widget-gateway'] as const;
export type App = (typeof APPS)[number];

// Node reads NODE_OPTIONS itself; every other variable must be one the app reads.
const NODE_VARIABLES = ['NODE_OPTIONS', 'NODE_EXTRA_CA_CERTS'];

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; fieldRef?: { fieldPath: string } };
}
interface Container {
  name: string;
  env?: EnvVar[];
  resources?: { requests?: Record<string, unknown>; limits?: Record<string, unknown> };
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; allowPrivilegeEscalation?: boolean; privileged?: boolean };
  lifecycle?: { preStop?: { exec?: { command?: string[] } } };
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  args?: string[];
}
interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  terminationGracePeriodSeconds?: number;
  nodeSelector?: Record<string, string>;
  hostNetwork?: boolean;
  volumes?: { name: string; secret?: { secretName: string }; configMap?: { name: string } }[];
}

const WORKLOAD_KINDS = ['Deployment', 'DaemonSet', 'StatefulSet', 'Job', 'CronJob'];

export function podSpec(o: KubeObject): PodSpec | undefined {
  const spec = o['spec'] as { template?: { spec?: PodSpec }; jobTemplate?: { spec?: { template?: { spec?: PodSpec } } } } | undefined;
  return spec?.template?.spec ?? spec?.jobTemplate?.spec?.template?.spec;
}

export function workload(objects: KubeObject[], component: string): KubeObject | undefined {
  return objects.find((o) => WORKLOAD_KINDS.includes(o.kind) && o.metadata.labels?.['app.kubernetes.io/component'] === component);
}

/** The app container's environment as name → entry. */
export function envOf(objects: KubeObject[], component: string): Map<string, EnvVar> {
  const w = workload(objects, component);
  const c = w && podSpec(w)?.containers.find((x) => x.name === component);
  return new Map((c?.env ?? []).map((e) => [e.name, e]));
}

const name = (o: KubeObject) => `${o.kind}/${o.metadata.name}`;

/** `120s`, `2m`, `1500ms`, `1h` (the apps' duration syntax; a bare number is ms) → seconds. */
export function durationSeconds(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: ${text}`);
  const n = Number(m[1]);
  return { ms: n / 1000, s: n, m: n * 60, h: n * 3600, '': n / 1000 }[m[2] ?? ''] ?? NaN;
}

// --- Secrets -----------------------------------------------------------------------

const PEM = /-----BEGIN [A-Z ]+-----/;
const PRIVATE_KEY = /PRIVATE KEY/;
const URL_PASSWORD = /[a-z][a-z0-9+.-]*:\/\/[^\s/@:]*:[^\s/@]+@/i;
const JWT = /eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\./;
// A random-looking token: 32+ characters of base64/hex with upper, lower and digits mixed.
const TOKEN = /[A-Za-z0-9+/=]{32,}/g;
const looksRandom = (s: string) => /[a-z]/.test(s) && /[A-Z]/.test(s) && /[0-9]/.test(s);

/** Why a text looks like key material or a credential, or undefined. */
export function keyLike(text: string): string | undefined {
  if (PEM.test(text)) return 'a PEM block';
  if (PRIVATE_KEY.test(text)) return 'a private key';
  if (URL_PASSWORD.test(text)) return 'a URL with a password';
  if (JWT.test(text)) return 'a JWT';
  const token = (text.match(TOKEN) ?? []).find(looksRandom);
  if (token) return `a random-looking token (${token.slice(0, 6)}…)`;
  return undefined;
}

// Variables that carry credentials: only ever from a Secret (secretKeyRef).
const SECRET_VARIABLES = /(SECRET|PASSWORD|API_KEY)$/;

/**
 * No Secret is rendered (credentials come only from Secrets the SRE made, by
 * name); no ConfigMap holds key-like data; every credential variable comes from
 * a secretKeyRef, and no plain env value looks like key material.
 */
export function secretsProblems(objects: KubeObject[]): string[] {
  const problems: string[] = [];
  for (const o of find(objects, 'Secret')) problems.push(`${name(o)}: the chart renders a Secret (credentials must come from existing Secrets by name)`);
  for (const o of find(objects, 'ConfigMap')) {
    const data = { ...((o['data'] as Record<string, string>) ?? {}), ...((o['binaryData'] as Record<string, string>) ?? {}) };
    for (const [key, value] of Object.entries(data)) {
      const why = keyLike(value);
      if (why) problems.push(`${name(o)}: data.${key} holds ${why}`);
    }
  }
  for (const o of objects.filter((x) => WORKLOAD_KINDS.includes(x.kind))) {
    for (const c of [...(podSpec(o)?.containers ?? []), ...(podSpec(o)?.initContainers ?? [])]) {
      for (const e of c.env ?? []) {
        if (SECRET_VARIABLES.test(e.name) && !e.valueFrom?.secretKeyRef) problems.push(`${name(o)}: ${c.name} env ${e.name} is not from a Secret (secretKeyRef)`);
        const why = e.value !== undefined ? keyLike(e.value) : undefined;
        if (why) problems.push(`${name(o)}: ${c.name} env ${e.name} holds ${why}`);
      }
    }
  }
  return problems;
}

// --- Containers ----------------------------------------------------------------------

/** Every container of every workload runs as a non-root user, cannot escalate, and has CPU and memory requests and limits. */
export function containerProblems(objects: KubeObject[]): string[] {
  const problems: string[] = [];
  for (const o of objects.filter((x) => WORKLOAD_KINDS.includes(x.kind))) {
    const pod = podSpec(o);
    if (!pod) {
      problems.push(`${name(o)}: no pod template`);
      continue;
    }
    for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
      const where = `${name(o)}: container ${c.name}`;
      const nonRoot = c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
      const uid = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
      if (nonRoot !== true) problems.push(`${where}: runAsNonRoot is not true`);
      if (uid === undefined || uid === 0) problems.push(`${where}: runAsUser is ${uid === 0 ? 'root (0)' : 'not set'}`);
      if (c.securityContext?.allowPrivilegeEscalation !== false) problems.push(`${where}: allowPrivilegeEscalation is not false`);
      if (c.securityContext?.privileged === true) problems.push(`${where}: privileged`);
      for (const kind of ['requests', 'limits'] as const) {
        for (const resource of ['cpu', 'memory']) {
          if (c.resources?.[kind]?.[resource] === undefined) problems.push(`${where}: no ${resource} ${kind}`);
        }
      }
    }
  }
  return problems;
}

// --- sip-signaling's drain -----------------------------------------------------------------

/**
 * sip-signaling ends its calls before it goes: a preStop hook that polls GET /drain
 * until activeCalls is 0, and a termination grace period that covers DRAIN_GRACE
 * and the shutdown after it (SHUTDOWN_TIMEOUT, itself at least DRAIN_GRACE + 10 s).
 */
export function drainProblems(objects: KubeObject[]): string[] {
  const w = workload(objects, 'sip-signaling');
  if (!w) return ['sip-signaling: no workload rendered'];
  const pod = podSpec(w);
  const c = pod?.containers.find((x) => x.name === 'sip-signaling');
  if (!pod || !c) return [`${name(w)}: no sip-signaling container`];
  const problems: string[] = [];
  const hook = (c.lifecycle?.preStop?.exec?.command ?? []).join(' ');
  if (!hook) problems.push(`${name(w)}: sip-signaling has no preStop exec hook`);
  else {
    if (!hook.includes('/drain')) problems.push(`${name(w)}: the preStop hook does not poll GET /drain`);
    if (!/activeCalls\s*===?\s*0/.test(hook)) problems.push(`${name(w)}: the preStop hook does not wait for activeCalls to be 0`);
  }
  const env = new Map((c.env ?? []).map((e) => [e.name, e.value]));
  const drain = env.get('DRAIN_GRACE');
  const shutdown = env.get('SHUTDOWN_TIMEOUT');
  const grace = pod.terminationGracePeriodSeconds;
  if (drain === undefined || shutdown === undefined) problems.push(`${name(w)}: DRAIN_GRACE and SHUTDOWN_TIMEOUT must be set explicitly (got ${drain}, ${shutdown})`);
  else if (grace === undefined) problems.push(`${name(w)}: no terminationGracePeriodSeconds (the default 30 s cuts the drain of ${drain})`);
  else {
    const drainS = durationSeconds(drain);
    const shutdownS = durationSeconds(shutdown);
    if (shutdownS < drainS + 10) problems.push(`${name(w)}: SHUTDOWN_TIMEOUT ${shutdown} is below DRAIN_GRACE ${drain} + 10s (the app refuses it)`);
    if (grace <= shutdownS) problems.push(`${name(w)}: terminationGracePeriodSeconds ${grace} does not exceed SHUTDOWN_TIMEOUT ${shutdown} (the drain would be killed)`);
  }
  return problems;
}

// --- Region and recorders -----------------------------------------------------------------

/**
 * A release serves its region: every service logs it (REGION), and sip-signaling
 * sends that region's tenants to the region's recorder first and to the global
 * endpoint after it (RECORDER_HOST_OVERRIDES in that order, pinged from the start).
 */
export function regionProblems(objects: KubeObject[], region: string, recorders: Record<string, { host: string }>): string[] {
  const problems: string[] = [];
  for (const app of APPS) {
    const got = envOf(objects, app).get('REGION')?.value;
    if (got !== region) problems.push(`${app}: REGION is ${got}, not ${region}`);
  }
  const env = envOf(objects, 'sip-signaling');
  const value = (n: string) => env.get(n)?.value;
  const own = recorders[region];
  const global = recorders['global'];
  if (!own || !global) return [...problems, `no recorder of region ${region} or global in the seed's table`];
  const expected = region === 'global' ? [`global=${global.host}:5061`] : [`${region}=${own.host}:5061`, `global=${global.host}:5061`];
  if (value('RECORDER_HOST_OVERRIDES') !== expected.join(',')) problems.push(`sip-signaling: RECORDER_HOST_OVERRIDES is ${value('RECORDER_HOST_OVERRIDES')}, expected ${expected.join(',')}`);
  const pings = region === 'global' ? 'global' : `${region},global`;
  if (value('RECORDER_PING_REGIONS') !== pings) problems.push(`sip-signaling: RECORDER_PING_REGIONS is ${value('RECORDER_PING_REGIONS')}, expected ${pings}`);
  if (value('RECORDER_GLOBAL_FALLBACK') !== 'true') problems.push('sip-signaling: RECORDER_GLOBAL_FALLBACK is not true (no failover to the global recorder)');
  if (value('RECORDING_SIPREC') !== 'true') problems.push('sip-signaling: RECORDING_SIPREC is not true');
  for (const v of ['RECORDING_TLS_CERT_FILE', 'RECORDING_TLS_KEY_FILE']) if (!value(v)) problems.push(`sip-signaling: ${v} is not set`);
  return problems;
}

// --- Media placement ------------------------------------------------------------------------

/**
 * rtpengine runs on every node sip-signaling may run on (a DaemonSet selecting
 * the same media label), on the node's network, and sip-signaling talks to it on
 * the ng port rtpengine listens on.
 */
export function mediaProblems(objects: KubeObject[]): string[] {
  const sip = workload(objects, 'sip-signaling');
  const rtp = workload(objects, 'rtpengine');
  if (!sip || !rtp) return [`missing workload: ${!sip ? 'sip-signaling ' : ''}${!rtp ? 'rtpengine' : ''}`.trim()];
  const problems: string[] = [];
  if (rtp.kind !== 'DaemonSet') problems.push(`${name(rtp)}: rtpengine is not a DaemonSet`);
  const sipPod = podSpec(sip);
  const rtpPod = podSpec(rtp);
  const sipSel = sipPod?.nodeSelector ?? {};
  const rtpSel = rtpPod?.nodeSelector ?? {};
  if (Object.keys(rtpSel).length === 0) problems.push(`${name(rtp)}: no nodeSelector (the media label)`);
  for (const [k, v] of Object.entries(rtpSel)) {
    if (sipSel[k] !== v) problems.push(`${name(sip)}: nodeSelector lacks the media label ${k}=${v} of rtpengine (it could land on a node without rtpengine)`);
  }
  if (rtpPod?.hostNetwork !== true) problems.push(`${name(rtp)}: not on the node's network (hostNetwork)`);
  const ng = rtpPod?.containers.find((c) => c.name === 'rtpengine')?.ports?.find((p) => p.name === 'ng');
  const env = new Map((sipPod?.containers.find((c) => c.name === 'sip-signaling')?.env ?? []).map((e) => [e.name, e]));
  if (env.get('RTPENGINE_ENABLED')?.value !== 'true') problems.push(`${name(sip)}: RTPENGINE_ENABLED is not true`);
  if (!ng) problems.push(`${name(rtp)}: no port named ng`);
  else if (env.get('RTPENGINE_PORT')?.value !== String(ng.containerPort)) problems.push(`${name(sip)}: RTPENGINE_PORT ${env.get('RTPENGINE_PORT')?.value} is not rtpengine's ng port ${ng.containerPort}`);
  const host = env.get('RTPENGINE_HOST');
  const sameNode = sipPod?.hostNetwork ? host?.value === '127.0.0.1' : host?.valueFrom?.fieldRef?.fieldPath === 'status.hostIP';
  if (!sameNode) problems.push(`${name(sip)}: RTPENGINE_HOST ${JSON.stringify(host)} is not the rtpengine of its own node`);
  return problems;
}

// --- Environment -----------------------------------------------------------------------------

/** The variables an app reads: the names in apps/<app>/.env.example. */
export function appVariables(app: App): string[] {
  const text = readFileSync(join(REPO_ROOT, 'apps', app, '.env.example'), 'utf8');
  return [...text.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] ?? '');
}

/** Each app container's variables are ones the app reads (no typo reaches a pod unnoticed), each set once. */
export function envProblems(objects: KubeObject[]): string[] {
  const problems: string[] = [];
  for (const app of APPS) {
    const w = workload(objects, app);
    if (!w) continue;
    const known = new Set([...appVariables(app), ...NODE_VARIABLES]);
    const seen = new Set<string>();
    for (const e of podSpec(w)?.containers.find((c) => c.name === app)?.env ?? []) {
      if (!known.has(e.name)) problems.push(`${app}: sets ${e.name}, which apps/${app}/.env.example does not list`);
      if (seen.has(e.name)) problems.push(`${app}: sets ${e.name} twice`);
      seen.add(e.name);
    }
  }
  return problems;
}

/** Everything that must hold in any render (the region's own checks apart). */
export function chartProblems(objects: KubeObject[]): string[] {
  return [...secretsProblems(objects), ...containerProblems(objects), ...drainProblems(objects), ...mediaProblems(objects), ...envProblems(objects)];
}
