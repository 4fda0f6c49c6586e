/**
 * RFC 3263 §4 server location without NAPTR: transport, port and addresses for a
 * SIP or SIPS URI's host, in the order to try them.
 */
import { lookup as dnsLookup, Resolver } from 'node:dns/promises';
import type { SrvRecord } from 'node:dns';
import { isIP } from 'node:net';
import { TransportError } from './errors';
import type { TransportProtocol } from './types';

export interface SipTargetInput {
  /** Host of the URI: name, IPv4, or IPv6 with or without brackets. */
  host: string;
  port?: number;
  /** The URI's transport parameter, if any. */
  transport?: TransportProtocol;
  /** sips: URI (RFC 3261 §19.1): TLS is required. */
  secure: boolean;
}

/** One address to try; `host` is always an IP literal. */
export interface ResolvedTarget {
  protocol: TransportProtocol;
  host: string;
  port: number;
  /** TLS: the URI's domain, which the server certificate must carry (RFC 5922 §4), never the SRV target. */
  serverName?: string;
}

export interface ResolverDns {
  /** A/AAAA; the default is getaddrinfo via dns.lookup({ all: true }), which honours /etc/hosts. */
  lookupAll(host: string): Promise<Array<{ address: string; family: number }>>;
  /** The default uses dns.promises.Resolver with a timeout. */
  resolveSrv(name: string): Promise<SrvRecord[]>;
}

export interface ResolverOptions {
  dns?: Partial<ResolverDns>;
  /** Uniform [0, 1), for RFC 2782 weighted selection. */
  random?: () => number;
  /** Per SRV query attempt. Default 2000 ms. */
  srvTimeoutMs?: number;
}

export interface SipResolver {
  /** Targets in the order to try them; rejects with 'resolve-failed' when there is none. */
  resolve(input: SipTargetInput): Promise<ResolvedTarget[]>;
}

export const DEFAULT_PORTS: Record<TransportProtocol, number> = { udp: 5060, tcp: 5060, tls: 5061 };

// RFC 3263 §4.1: SRV service labels per transport (TLS is "_sips._tcp").
const SERVICE: Record<TransportProtocol, string> = { tls: '_sips._tcp', tcp: '_sip._tcp', udp: '_sip._udp' };

/**
 * RFC 2782 ordering: lowest priority first; within a priority, repeatedly pick a
 * record at random with probability proportional to its weight (zero-weight
 * records first in the running sum, so they are picked only rarely).
 */
export function orderSrvRecords(records: readonly SrvRecord[], random: () => number = Math.random): SrvRecord[] {
  const priorities = [...new Set(records.map((r) => r.priority))].sort((a, b) => a - b);
  const ordered: SrvRecord[] = [];
  for (const priority of priorities) {
    const group = records.filter((r) => r.priority === priority);
    const remaining = [...group.filter((r) => r.weight === 0), ...group.filter((r) => r.weight > 0)];
    while (remaining.length > 0) {
      const total = remaining.reduce((sum, r) => sum + r.weight, 0);
      const pick = Math.min(total, Math.floor(random() * (total + 1)));
      let running = 0;
      let index = remaining.findIndex((r) => (running += r.weight) >= pick);
      if (index < 0) index = remaining.length - 1;
      ordered.push(...remaining.splice(index, 1));
    }
  }
  return ordered;
}

export function createSipResolver(options: ResolverOptions = {}): SipResolver {
  const random = options.random ?? Math.random;
  const lookupAll = options.dns?.lookupAll ?? ((host: string) => dnsLookup(host, { all: true }));
  let srvResolver: Resolver | undefined;
  const resolveSrv =
    options.dns?.resolveSrv ??
    ((name: string) => {
      srvResolver ??= new Resolver({ timeout: options.srvTimeoutMs ?? 2000, tries: 2 });
      return srvResolver.resolveSrv(name);
    });

  async function addresses(host: string, protocol: TransportProtocol, port: number, serverName: string | undefined, errors: string[]): Promise<ResolvedTarget[]> {
    try {
      const found = await lookupAll(host);
      return found.map((a) => withName({ protocol, host: a.address, port }, protocol, serverName));
    } catch (err) {
      errors.push(`${host}: ${describe(err)}`);
      return [];
    }
  }

  return {
    async resolve(input) {
      const host = input.host.replace(/^\[(.*)\]$/, '$1');
      if (input.secure && input.transport === 'udp') throw new TransportError('not-configured', `a sips: URI needs TLS, not UDP (${input.host})`);
      const secure = input.secure || input.transport === 'tls';
      // RFC 3263 §4.1: without a transport parameter, UDP for sip:, TLS for sips:.
      const defaultProtocol: TransportProtocol = input.transport ?? (secure ? 'tls' : 'udp');
      const serverName = isIP(host) ? undefined : host;

      // §4.2: a numeric IP is used as is; an explicit port skips SRV.
      if (isIP(host)) return [{ protocol: defaultProtocol, host, port: input.port ?? DEFAULT_PORTS[defaultProtocol] }];
      const errors: string[] = [];
      if (input.port !== undefined) return nonEmpty(await addresses(host, defaultProtocol, input.port, serverName, errors), input, errors);

      const protocols: TransportProtocol[] = input.transport ? [input.transport] : secure ? ['tls'] : ['tcp', 'udp'];
      const targets: ResolvedTarget[] = [];
      let anySrv = false;
      for (const protocol of protocols) {
        const name = `${SERVICE[protocol]}.${host}`;
        let records: SrvRecord[];
        try {
          records = await resolveSrv(name);
        } catch (err) {
          errors.push(`SRV ${name}: ${describe(err)}`);
          continue;
        }
        if (records.length > 0) anySrv = true;
        // RFC 2782: a target of "." means the service is decidedly not offered.
        for (const r of orderSrvRecords(records.filter((rec) => rec.name !== '.' && rec.name !== ''), random)) {
          targets.push(...(await addresses(r.name, protocol, r.port, serverName, errors)));
        }
      }
      // §4.2: no SRV records at all → A/AAAA of the host on the default port.
      if (!anySrv) targets.push(...(await addresses(host, defaultProtocol, DEFAULT_PORTS[defaultProtocol], serverName, errors)));
      return nonEmpty(dedupe(targets), input, errors);
    },
  };
}

function withName(t: ResolvedTarget, protocol: TransportProtocol, serverName: string | undefined): ResolvedTarget {
  return protocol === 'tls' && serverName !== undefined ? { ...t, serverName } : t;
}

function dedupe(targets: ResolvedTarget[]): ResolvedTarget[] {
  const seen = new Set<string>();
  return targets.filter((t) => {
    const key = `${t.protocol}|${t.host}|${t.port}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function nonEmpty(targets: ResolvedTarget[], input: SipTargetInput, errors: string[]): ResolvedTarget[] {
  if (targets.length > 0) return targets;
  throw new TransportError('resolve-failed', `no address for ${input.secure ? 'sips' : 'sip'}:${input.host}${errors.length ? ` (${errors.join('; ')})` : ''}`);
}

function describe(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
}
