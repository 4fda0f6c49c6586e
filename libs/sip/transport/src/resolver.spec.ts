import type { SrvRecord } from 'node:dns';
import { createSipResolver, orderSrvRecords, ResolverDns } from './resolver';
import { TransportError } from './errors';

const srv = (name: string, port: number, priority: number, weight: number): SrvRecord => ({ name, port, priority, weight });

/** A fake DNS: SRV and A/AAAA tables; every query is recorded. */
function fakeDns(srvTable: Record<string, SrvRecord[]>, hosts: Record<string, string[]>) {
  const queries: string[] = [];
  const dns: ResolverDns = {
    resolveSrv: async (name) => {
      queries.push(`SRV ${name}`);
      const r = srvTable[name];
      if (!r) throw Object.assign(new Error(`queryNotFound ${name}`), { code: 'ENOTFOUND' });
      return r;
    },
    lookupAll: async (host) => {
      queries.push(`A ${host}`);
      const r = hosts[host];
      if (!r) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
      return r.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    },
  };
  return { dns, queries };
}

/** Returns the given values in turn (then the last one). */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)] ?? 0;
};

describe('orderSrvRecords (RFC 2782)', () => {
  it('orders by priority first, whatever the weights', () => {
    const ordered = orderSrvRecords([srv('c', 1, 30, 100), srv('a', 1, 10, 0), srv('b', 1, 20, 100)], () => 0.99);
    expect(ordered.map((r) => r.name)).toEqual(['a', 'b', 'c']);
  });

  it('picks within a priority by running weight sum: zero weights first, chosen only when the draw is 0', () => {
    const records = [srv('w60', 1, 10, 60), srv('w0', 1, 10, 0), srv('w40', 1, 10, 40)];
    // Running sums: w0 → 0, w60 → 60, w40 → 100. A draw of 0.5 × 101 = 50 selects w60.
    expect(orderSrvRecords(records, sequence(0.5, 0.0, 0.0)).map((r) => r.name)).toEqual(['w60', 'w0', 'w40']);
    // A draw of 0 selects the zero-weight record first.
    expect(orderSrvRecords(records, sequence(0, 0.99, 0)).map((r) => r.name)).toEqual(['w0', 'w40', 'w60']);
  });

  it('distributes first picks in proportion to weight', () => {
    const records = [srv('heavy', 1, 1, 75), srv('light', 1, 1, 25)];
    let seed = 42;
    const lcg = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let heavy = 0;
    for (let i = 0; i < 4000; i++) if (orderSrvRecords(records, lcg)[0]?.name === 'heavy') heavy++;
    expect(heavy / 4000).toBeGreaterThan(0.7);
    expect(heavy / 4000).toBeLessThan(0.8);
  });

  it('never drops or repeats a record, even with a random() of 1', () => {
    const records = [srv('a', 1, 1, 5), srv('b', 1, 1, 0), srv('c', 1, 2, 7)];
    expect(orderSrvRecords(records, () => 1).map((r) => r.name).sort()).toEqual(['a', 'b', 'c']);
  });
});

describe('createSipResolver (RFC 3263)', () => {
  it('uses a numeric IP directly: UDP for sip:, TLS on 5061 for sips:, without any DNS query', async () => {
    const { dns, queries } = fakeDns({}, {});
    const r = createSipResolver({ dns });
    await expect(r.resolve({ host: '192.0.2.1', secure: false })).resolves.toEqual([{ protocol: 'udp', host: '192.0.2.1', port: 5060 }]);
    await expect(r.resolve({ host: '[2001:db8::1]', secure: true })).resolves.toEqual([{ protocol: 'tls', host: '2001:db8::1', port: 5061 }]);
    await expect(r.resolve({ host: '192.0.2.1', port: 5080, transport: 'tcp', secure: false })).resolves.toEqual([{ protocol: 'tcp', host: '192.0.2.1', port: 5080 }]);
    expect(queries).toEqual([]);
  });

  it('with an explicit port asks only A/AAAA, every address in order', async () => {
    const { dns, queries } = fakeDns({ '_sips._tcp.srs.example.com': [srv('x.example.com', 9, 1, 1)] }, { 'srs.example.com': ['192.0.2.10', '2001:db8::10'] });
    const targets = await createSipResolver({ dns }).resolve({ host: 'srs.example.com', port: 5071, secure: true });
    expect(targets).toEqual([
      { protocol: 'tls', host: '192.0.2.10', port: 5071, serverName: 'srs.example.com' },
      { protocol: 'tls', host: '2001:db8::10', port: 5071, serverName: 'srs.example.com' },
    ]);
    expect(queries).toEqual(['A srs.example.com']);
  });

  it('for sips: queries _sips._tcp and keeps the URI domain as the TLS server name, not the SRV target', async () => {
    const { dns, queries } = fakeDns(
      { '_sips._tcp.example.com': [srv('b.example.com', 5062, 20, 0), srv('a.example.com', 5061, 10, 0)] },
      { 'a.example.com': ['192.0.2.1'], 'b.example.com': ['192.0.2.2'] },
    );
    const targets = await createSipResolver({ dns }).resolve({ host: 'example.com', secure: true });
    expect(targets).toEqual([
      { protocol: 'tls', host: '192.0.2.1', port: 5061, serverName: 'example.com' },
      { protocol: 'tls', host: '192.0.2.2', port: 5062, serverName: 'example.com' },
    ]);
    expect(queries).toEqual(['SRV _sips._tcp.example.com', 'A a.example.com', 'A b.example.com']);
  });

  it('for sip: without transport tries _sip._tcp then _sip._udp, each ordered', async () => {
    const { dns } = fakeDns(
      { '_sip._tcp.example.com': [srv('t.example.com', 5060, 10, 0)], '_sip._udp.example.com': [srv('u2.example.com', 5060, 20, 0), srv('u1.example.com', 5060, 10, 0)] },
      { 't.example.com': ['192.0.2.1'], 'u1.example.com': ['192.0.2.2'], 'u2.example.com': ['192.0.2.3'] },
    );
    const targets = await createSipResolver({ dns }).resolve({ host: 'example.com', secure: false });
    expect(targets.map((t) => `${t.protocol}:${t.host}`)).toEqual(['tcp:192.0.2.1', 'udp:192.0.2.2', 'udp:192.0.2.3']);
    expect(targets.every((t) => t.serverName === undefined)).toBe(true);
  });

  it('with transport=tcp queries only _sip._tcp', async () => {
    const { dns, queries } = fakeDns({ '_sip._tcp.example.com': [srv('t.example.com', 5070, 1, 0)] }, { 't.example.com': ['192.0.2.1'] });
    await expect(createSipResolver({ dns }).resolve({ host: 'example.com', transport: 'tcp', secure: false })).resolves.toEqual([{ protocol: 'tcp', host: '192.0.2.1', port: 5070 }]);
    expect(queries).toEqual(['SRV _sip._tcp.example.com', 'A t.example.com']);
  });

  it('falls back to A/AAAA on the default port when there is no SRV record', async () => {
    const { dns, queries } = fakeDns({}, { 'example.com': ['192.0.2.5'] });
    const r = createSipResolver({ dns });
    await expect(r.resolve({ host: 'example.com', secure: true })).resolves.toEqual([{ protocol: 'tls', host: '192.0.2.5', port: 5061, serverName: 'example.com' }]);
    await expect(r.resolve({ host: 'example.com', secure: false })).resolves.toEqual([{ protocol: 'udp', host: '192.0.2.5', port: 5060 }]);
    expect(queries).toEqual(['SRV _sips._tcp.example.com', 'A example.com', 'SRV _sip._tcp.example.com', 'SRV _sip._udp.example.com', 'A example.com']);
  });

  it('skips SRV targets without an address and keeps the others', async () => {
    const { dns } = fakeDns({ '_sips._tcp.example.com': [srv('gone.example.com', 5061, 1, 0), srv('ok.example.com', 5061, 2, 0)] }, { 'ok.example.com': ['192.0.2.9'] });
    await expect(createSipResolver({ dns }).resolve({ host: 'example.com', secure: true })).resolves.toEqual([{ protocol: 'tls', host: '192.0.2.9', port: 5061, serverName: 'example.com' }]);
  });

  it('treats a "." SRV target as "no service" and does not fall back to A/AAAA', async () => {
    const { dns } = fakeDns({ '_sips._tcp.example.com': [srv('.', 0, 0, 0)] }, { 'example.com': ['192.0.2.5'] });
    await expect(createSipResolver({ dns }).resolve({ host: 'example.com', secure: true })).rejects.toMatchObject({ code: 'resolve-failed' });
  });

  it('fails with resolve-failed naming what it tried', async () => {
    const { dns } = fakeDns({}, {});
    const err = await createSipResolver({ dns })
      .resolve({ host: 'nowhere.example', secure: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransportError);
    expect((err as TransportError).code).toBe('resolve-failed');
    expect((err as TransportError).message).toMatch(/SRV _sips\._tcp\.nowhere\.example: ENOTFOUND.*nowhere\.example: ENOTFOUND/);
  });

  it('refuses sips: over UDP', async () => {
    await expect(createSipResolver({ dns: fakeDns({}, {}).dns }).resolve({ host: 'example.com', transport: 'udp', secure: true })).rejects.toMatchObject({ code: 'not-configured' });
  });

  it('resolves localhost from /etc/hosts with the real lookup when the port is given', async () => {
    const targets = await createSipResolver({ dns: { resolveSrv: () => Promise.reject(new Error('no SRV in this test')) } }).resolve({ host: 'localhost', port: 5099, transport: 'tcp', secure: false });
    expect(targets).toContainEqual({ protocol: 'tcp', host: '127.0.0.1', port: 5099 });
  });
});
