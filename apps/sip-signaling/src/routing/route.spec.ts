import { chooseRoute, isOwnListener, RouteError } from './route';

describe('chooseRoute', () => {
  it('prefers the tenant next hop: the called user at the next hop', () => {
    expect(chooseRoute('sip:+442079460018@10.0.0.1;user=phone', { tenantNextHop: 'sip:pbx.fabrikam.example:5070;transport=tcp', outboundProxy: 'sip:proxy.example' })).toEqual({
      requestUri: 'sip:+442079460018@pbx.fabrikam.example:5070;transport=tcp',
      resolve: 'sip:pbx.fabrikam.example:5070;transport=tcp',
      via: 'tenant-next-hop',
    });
  });

  it('then the outbound proxy, keeping the Request-URI', () => {
    expect(chooseRoute('sip:bob@x.example', { outboundProxy: 'sip:proxy.example' })).toEqual({ requestUri: 'sip:bob@x.example', resolve: 'sip:proxy.example', via: 'outbound-proxy' });
  });

  it('then the Request-URI itself; a tel: URI or garbage cannot be routed alone', () => {
    expect(chooseRoute('sips:bob@x.example', {})).toEqual({ requestUri: 'sips:bob@x.example', resolve: 'sips:bob@x.example', via: 'request-uri' });
    expect(() => chooseRoute('tel:+15551234567', {})).toThrow(RouteError);
    expect(() => chooseRoute('mailto:x', {})).toThrow(expect.objectContaining({ status: 416 }));
  });
});

describe('isOwnListener', () => {
  const listeners = [{ protocol: 'udp', address: '127.0.0.1', port: 5060 }];
  it('spots a next hop that is this service', () => {
    expect(isOwnListener({ protocol: 'udp', host: '127.0.0.1', port: 5060 }, listeners)).toBe(true);
    expect(isOwnListener({ protocol: 'udp', host: '127.0.0.1', port: 5070 }, listeners)).toBe(false);
    expect(isOwnListener({ protocol: 'udp', host: '203.0.113.5', port: 5060 }, listeners, '203.0.113.5')).toBe(true);
  });
});
