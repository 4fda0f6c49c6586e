import { parseTenantRules, TenantRulesError } from './tenant-rules';

describe('parseTenantRules', () => {
  it('reads tenants with their match rules, next hop, seller and dialer headers', () => {
    const r = parseTenantRules(
      JSON.stringify({
        tenantHeader: 'X-CI-Tenant',
        tenants: { Fabrikam: { match: { sourceNetworks: ['10.1.0.0/16'], calledNumbers: ['+44 20 7946*'], calledDomains: ['Fabrikam.example'] }, nextHop: 'sip:pbx.fabrikam.example;transport=tcp', sellerHeader: 'X-Seller', sellerSide: 'callee', dialerCallIdHeader: 'X-Dialer-Call-Id' } },
      }),
    );
    expect(r.tenantHeader).toBe('X-CI-Tenant');
    const [t] = r.tenants;
    expect(t).toMatchObject({ tenantId: 'fabrikam', nextHop: 'sip:pbx.fabrikam.example;transport=tcp', sellerHeader: 'X-Seller', sellerSide: 'callee', dialerCallIdHeader: 'X-Dialer-Call-Id' });
    expect(t?.match.calledNumbers).toEqual(['+44207946*']);
    expect(t?.match.calledDomains).toEqual(['fabrikam.example']);
    expect(t?.match.sourceNetworks.map((n) => n.text)).toEqual(['10.1.0.0/16']);
  });

  it('lists every problem with its JSON path', () => {
    let err: unknown;
    try {
      parseTenantRules(
        JSON.stringify({
          extra: 1,
          tenants: { 't 1': {}, t2: { match: { sourceNetworks: ['10.0.0.0/33', 7], calledNumbers: ['+44 20 ?'], headers: [{ name: 'bad header' }] }, nextHop: 'http://x', sellerSide: 'left', colour: 'red' } },
        }),
        'tenants.json',
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TenantRulesError);
    const paths = (err as TenantRulesError).problems.map((p) => p.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '$.extra',
        '$.tenants["t 1"]',
        '$.tenants["t2"].match.sourceNetworks[0]',
        '$.tenants["t2"].match.sourceNetworks[1]',
        '$.tenants["t2"].match.calledNumbers[0]',
        '$.tenants["t2"].match.headers[0].name',
        '$.tenants["t2"].nextHop',
        '$.tenants["t2"].sellerSide',
        '$.tenants["t2"].colour',
      ]),
    );
    expect((err as Error).message).toMatch(/^tenants\.json: 9 problems:/);
  });

  it('refuses text that is not JSON or has no tenants', () => {
    expect(() => parseTenantRules('{ nope')).toThrow(/\$: not JSON/);
    expect(() => parseTenantRules('{}')).toThrow(/\$\.tenants: required/);
    expect(() => parseTenantRules('[]')).toThrow(/\$: must be an object/);
  });
});
