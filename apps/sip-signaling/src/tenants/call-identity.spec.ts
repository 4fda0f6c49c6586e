import { resolveCallIdentity, type InviteView } from './call-identity';
import { parseTenantRules } from './tenant-rules';

const rules = parseTenantRules(
  JSON.stringify({
    tenantHeader: 'X-CI-Tenant',
    tenants: {
      fabrikam: { match: { calledNumbers: ['+442079460*'], callingDomains: ['sales.fabrikam.example'] }, dialerCallIdHeader: 'X-Dialer-Call-Id' },
      contoso: { match: { sourceNetworks: ['10.20.0.0/16'] }, sellerHeader: 'X-Seller' },
      contoso_narrow: { match: { sourceNetworks: ['10.20.30.0/24'] } },
      tailspin: { match: { headers: [{ name: 'X-Trunk', value: 'tailspin' }] }, sellerSide: 'callee' },
    },
  }),
);

function invite(over: Partial<InviteView> & { headers?: Record<string, string> } = {}): InviteView {
  const headers = Object.fromEntries(Object.entries(over.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    requestUri: 'sip:+442079460018@10.0.0.1',
    from: '"Kiana Anderson" <sip:+15551234567@carrier.example>;tag=abc',
    to: '<sip:+442079460018@10.0.0.1>',
    sourceAddress: '192.0.2.10',
    header: (n) => headers[n.toLowerCase()],
    ...over,
  };
}

describe('resolveCallIdentity', () => {
  it('called number → the tenant is called: the seller is the callee, inbound; display names fall back to the number', () => {
    const id = resolveCallIdentity(rules, invite());
    expect(id.tenant).toMatchObject({ tenantId: 'fabrikam', matchedBy: 'called-number' });
    expect(id.seller).toEqual({ identity: 'sip:+442079460018@10.0.0.1', side: 'callee', source: 'to' });
    expect(id.role).toBe('inbound');
    expect(id.callerDisplayName).toBe('Kiana Anderson');
    expect(id.calleeDisplayName).toBe('+442079460018');
  });

  it('calling domain → the seller is the caller, outbound; P-Asserted-Identity wins over From', () => {
    const id = resolveCallIdentity(
      rules,
      invite({ requestUri: 'sip:+33123456789@10.0.0.1', to: '"Tomas Richardson" <sip:+33123456789@10.0.0.1>', from: '<sip:anonymous@anonymous.invalid>;tag=1', pAssertedIdentity: '"Alex Baker" <sip:alex@sales.fabrikam.example>' }),
    );
    expect(id.tenant?.matchedBy).toBe('calling-domain');
    expect(id.seller).toEqual({ identity: 'sip:alex@sales.fabrikam.example', side: 'caller', source: 'p-asserted-identity' });
    expect(id.role).toBe('outbound');
    expect([id.callerDisplayName, id.calleeDisplayName]).toEqual(['Alex Baker', 'Tomas Richardson']);
  });

  it('source network: the longest prefix wins; the seller header names the seller and its side', () => {
    expect(resolveCallIdentity(rules, invite({ requestUri: 'sip:bob@x.example', to: '<sip:bob@x.example>', sourceAddress: '10.20.30.4' })).tenant?.tenantId).toBe('contoso_narrow');
    const id = resolveCallIdentity(rules, invite({ requestUri: 'sip:bob@x.example', to: '<sip:bob@x.example>', sourceAddress: '10.20.99.4', headers: { 'X-Seller': 'sip:bob@x.example' } }));
    expect(id.tenant).toMatchObject({ tenantId: 'contoso', matchedBy: 'source-network' });
    expect(id.seller).toEqual({ identity: 'sip:bob@x.example', side: 'callee', source: 'header' });
    expect(id.role).toBe('inbound');
  });

  it('a tenant header or a header rule beats the other rules', () => {
    expect(resolveCallIdentity(rules, invite({ headers: { 'X-CI-Tenant': 'Contoso' } })).tenant).toMatchObject({ tenantId: 'contoso', matchedBy: 'tenant-header' });
    const id = resolveCallIdentity(rules, invite({ headers: { 'X-Trunk': 'Tailspin' } }));
    expect(id.tenant).toMatchObject({ tenantId: 'tailspin', matchedBy: 'header' });
    expect(id.role).toBe('inbound');
  });

  it('takes the dialer call id from the tenant header or the default one, refusing unusable values', () => {
    expect(resolveCallIdentity(rules, invite({ headers: { 'X-Dialer-Call-Id': 'CA0123' } })).dialerCallId).toBe('CA0123');
    expect(resolveCallIdentity(rules, invite({ headers: { 'X-Dialer-Call-Id': 'has space' } })).dialerCallId).toBeUndefined();
    expect(resolveCallIdentity(rules, invite({ requestUri: 'sip:x@y.example', to: '<sip:x@y.example>', headers: { 'X-Call': 'D9' } }), { dialerCallIdHeader: 'X-Call' }).dialerCallId).toBe('D9');
  });

  it('an unknown tenant: no tenant, no seller, names still resolved; bad headers never throw', () => {
    const id = resolveCallIdentity(rules, invite({ requestUri: 'sip:x@y.example', to: 'garbage <<', from: '<tel:+15550001111>;tag=9' }));
    expect(id.tenant).toBeUndefined();
    expect(id.seller).toBeUndefined();
    expect(id.callerDisplayName).toBe('+15550001111');
    expect(id.calleeDisplayName).toBe('x');
  });
});
