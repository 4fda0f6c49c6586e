import { checkSourceIpNetwork, validateRegistration } from './registration-body';

const BODY = {
  orgId: 'AD3DCA46-962A-4895-9F85-D25F3828781F',
  Type: 'custom',
  hosting: 'cloud',
  displayName: 'Test Custom Provider',
  AuthenticationDetails: { AccountId: 'AC1', CertificateSubjectName: 'certSubject', CertificateIssuer: 'issuer', SourceIPNetwork: '0.0.0.0' },
};
const problems = (b: unknown) => {
  const r = validateRegistration(b);
  return r.ok ? [] : r.problems;
};

describe('validateRegistration', () => {
  it("accepts the seed's example and normalises the org id", () => {
    const r = validateRegistration(BODY);
    expect(r).toEqual({ ok: true, value: { orgId: 'ad3dca46-962a-4895-9f85-d25f3828781f', type: 'custom', hosting: 'cloud', displayName: 'Test Custom Provider', accountId: 'AC1', certificateSubjectName: 'certSubject', certificateIssuer: 'issuer', sourceIpNetwork: '0.0.0.0' } });
  });

  it('binds names case-insensitively but refuses the same name twice', () => {
    expect(validateRegistration({ ORGID: BODY.orgId, type: 'custom', HOSTING: 'on-premises', displayname: 'x', authenticationdetails: { accountid: 'a', CERTIFICATESUBJECTNAME: 'b', certificateissuer: 'c', sourceipnetwork: '::1' } }).ok).toBe(true);
    expect(problems({ ...BODY, OrgId: BODY.orgId })).toEqual([{ field: 'OrgId', message: "given twice (also as 'orgId'); property names are case-insensitive" }]);
  });

  it.each([
    [{ ...BODY, orgId: 'nope' }, 'orgId', 'not a GUID'],
    [{ ...BODY, Type: 'Custom' }, 'Type', "must be 'custom', got 'Custom'"],
    [{ ...BODY, hosting: 'edge' }, 'hosting', "must be 'cloud' or 'on-premises'"],
    [{ ...BODY, displayName: '  ' }, 'displayName', 'must not be empty'],
    [{ ...BODY, displayName: ' x' }, 'displayName', 'leading or trailing whitespace'],
    [{ ...BODY, displayName: 7 }, 'displayName', 'must be a string, got number'],
    [{ ...BODY, displayName: null }, 'displayName', 'got null'],
    [{ ...BODY, extra: true }, 'extra', 'unknown property'],
    [{ ...BODY, AuthenticationDetails: [] }, 'AuthenticationDetails', 'must be an object, got an array'],
    [{ ...BODY, AuthenticationDetails: { ...BODY.AuthenticationDetails, SourceIPNetwork: '1.2.3' } }, 'AuthenticationDetails.SourceIPNetwork', 'neither an IPv4/IPv6 address nor a CIDR'],
    [{ ...BODY, AuthenticationDetails: { ...BODY.AuthenticationDetails, Port: 5061 } }, 'AuthenticationDetails.Port', 'unknown property'],
  ])('names the bad field %#', (body, field, message) => {
    expect(problems(body)).toEqual([{ field, message: expect.stringContaining(message) }]);
  });

  it('lists every missing field at once', () => {
    expect(problems({ AuthenticationDetails: {} }).map((p) => p.field)).toEqual([
      'orgId', 'Type', 'hosting', 'displayName',
      'AuthenticationDetails.AccountId', 'AuthenticationDetails.CertificateSubjectName', 'AuthenticationDetails.CertificateIssuer', 'AuthenticationDetails.SourceIPNetwork',
    ]);
    expect(problems('x')).toEqual([{ field: '(body)', message: 'must be a JSON object, got string' }]);
  });
});

describe('checkSourceIpNetwork', () => {
  it.each(['0.0.0.0', '203.0.113.7', '203.0.113.0/24', '10.0.0.0/8', '0.0.0.0/0', '2001:db8::1', '2001:db8::/32', '::/0'])('accepts %s', (v) => {
    expect(checkSourceIpNetwork(v)).toBeUndefined();
  });
  it.each([
    ['203.0.113.7/24', 'host bits set beyond the /24 prefix (the network is 203.0.113.0/24)'],
    ['2001:db8::1/32', 'host bits set beyond the /32 prefix'],
    ['10.0.0.0/33', "bad prefix length '/33' (0-32 for IPv4)"],
    ['10.0.0.0/x', "bad prefix length '/x'"],
    ['010.0.0.1', 'not an address'],
    ['example.com', 'not an address'],
    ['1.2.3.4/8/9', 'more than one /'],
    ['fe80::1%eth0', 'not an address'],
  ])('refuses %s', (v, why) => {
    expect(checkSourceIpNetwork(v)).toContain(why);
  });
});
