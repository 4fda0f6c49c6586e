import { RECORDER_REGIONS, isRecorderRegion, type RecorderRegion } from '@ci-connector/tenancy';
import { clip, SiprecError } from '../errors';

/** The SIPS port of every CI recorder (seed: "SIPS (port 5061)"). */
export const RECORDER_PORT = 5061;

/** One recorder (SRS) to send a SIPREC INVITE to. */
export interface RecorderTarget {
  /** The Request-URI and To, in the seed's form: `sip:SRS@<host>:5061;transport=tls`. */
  uri: string;
  host: string;
  port: number;
  /** The region it serves (`global` = closest), when it came from the region table. */
  region?: RecorderRegion;
}

export interface RecorderTenant {
  region: RecorderRegion;
  /** A per-tenant list of recorders, tried in order instead of region then global: hosts, `host:port`, or `sip:`/`sips:` URIs over TLS. */
  recorders?: readonly string[];
}

export interface RecorderTargetOptions {
  /** Replace a region's host (e.g. every region → the ci-emulator on `127.0.0.1:15061`). */
  hostOverrides?: Partial<Record<RecorderRegion, string>>;
  /** Fall back to `global` after the tenant's region (default true). */
  globalFallback?: boolean;
}

const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6_REF = /^\[[0-9A-Fa-f:.]{2,45}\]$/;

function hostProblem(host: string): string | undefined {
  if (IPV4.test(host) || IPV6_REF.test(host)) return undefined;
  if (/^\d+(\.\d+)*$/.test(host)) return 'not a valid IPv4 address';
  return HOSTNAME.test(host) ? undefined : 'not a host name, IPv4 address or [IPv6] reference';
}

/** `host`, `host:port` or `[v6]:port` → a target in the seed's URI form. */
export function recorderTarget(hostPort: string, region?: RecorderRegion): RecorderTarget {
  const m = /^(\[[^\]]*\]|[^:]+)(?::(\d{1,5}))?$/.exec(hostPort.trim());
  const host = m?.[1] ?? '';
  const port = m?.[2] !== undefined ? Number(m[2]) : RECORDER_PORT;
  const problem = m ? hostProblem(host) : 'not host[:port]';
  if (problem) throw new SiprecError('recorder-target', `recorder "${clip(hostPort)}": ${problem}`);
  if (port < 1 || port > 65535) throw new SiprecError('recorder-target', `recorder "${clip(hostPort)}": port ${port} is not 1-65535`);
  return { uri: `sip:SRS@${host}:${port};transport=tls`, host, port, ...(region ? { region } : {}) };
}

/**
 * A configured recorder: `host[:port]`, or a `sips:` URI, or a `sip:` URI with
 * `;transport=tls` (the recorder is only ever reached over TLS: a `sip:` URI
 * without it is refused, not silently upgraded).
 */
export function parseRecorder(value: string): RecorderTarget {
  const v = value.trim();
  const uri = /^(sips?):(?:([^@;]+)@)?(\[[^\]]*\]|[^:;]+)(?::(\d{1,5}))?((?:;[^;]*)*)$/i.exec(v);
  if (!uri) {
    if (/^[a-z][a-z0-9+.-]*:[^\d]/i.test(v) && !/^\[/.test(v)) throw new SiprecError('recorder-target', `recorder "${clip(v)}": not a sip:/sips: URI`);
    return recorderTarget(v);
  }
  const scheme = (uri[1] ?? '').toLowerCase();
  const params = (uri[5] ?? '').toLowerCase();
  if (scheme === 'sip' && !/;transport=tls(;|$)/.test(params)) throw new SiprecError('recorder-target', `recorder "${clip(v)}": a sip: URI needs ;transport=tls (recorders are reached over SIPS only)`);
  const host = uri[3] ?? '';
  const problem = hostProblem(host);
  if (problem) throw new SiprecError('recorder-target', `recorder "${clip(v)}": ${problem}`);
  const port = uri[4] !== undefined ? Number(uri[4]) : RECORDER_PORT;
  if (port < 1 || port > 65535) throw new SiprecError('recorder-target', `recorder "${clip(v)}": port ${port} is not 1-65535`);
  return { uri: v, host, port };
}

/**
 * The recorders to try for a tenant, in order: its own list when it has one;
 * else its region's endpoint, then `global` (once, when the region is global).
 * All on port 5061 over TLS, in the seed's URI form.
 */
export function recorderTargets(tenant: RecorderTenant, options: RecorderTargetOptions = {}): RecorderTarget[] {
  if (tenant.recorders && tenant.recorders.length > 0) return dedupe(tenant.recorders.map(parseRecorder));
  if (!isRecorderRegion(tenant.region)) throw new SiprecError('recorder-target', `unknown recorder region "${clip(String(tenant.region))}"`);
  const regions: RecorderRegion[] = [tenant.region];
  if (options.globalFallback !== false && tenant.region !== 'global') regions.push('global');
  return dedupe(regions.map((r) => recorderTarget(options.hostOverrides?.[r] ?? RECORDER_REGIONS[r].host, r)));
}

function dedupe(targets: RecorderTarget[]): RecorderTarget[] {
  const seen = new Set<string>();
  return targets.filter((t) => {
    const key = `${t.host.toLowerCase()}:${t.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
