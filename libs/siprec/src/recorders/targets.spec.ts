import { RECORDER_REGION_NAMES } from '@ci-connector/tenancy';
import { parseRecorder, recorderTarget, recorderTargets } from './targets';

describe('recorderTargets', () => {
  it("the tenant's region, then global, in the seed's URI form on 5061", () => {
    expect(recorderTargets({ region: 'westeurope' })).toEqual([
      { uri: 'sip:SRS@westeurope.media.recording.dynamics.com:5061;transport=tls', host: 'westeurope.media.recording.dynamics.com', port: 5061, region: 'westeurope' },
      { uri: 'sip:SRS@media.recording.dynamics.com:5061;transport=tls', host: 'media.recording.dynamics.com', port: 5061, region: 'global' },
    ]);
  });

  it('global once for a global tenant; every region gives two targets otherwise', () => {
    expect(recorderTargets({ region: 'global' }).map((t) => t.uri)).toEqual(['sip:SRS@media.recording.dynamics.com:5061;transport=tls']);
    for (const r of RECORDER_REGION_NAMES.filter((n) => n !== 'global')) expect(recorderTargets({ region: r })).toHaveLength(2);
  });

  it('no global fallback when switched off; host overrides (the emulator on loopback) deduplicated', () => {
    expect(recorderTargets({ region: 'uksouth' }, { globalFallback: false })).toHaveLength(1);
    expect(recorderTargets({ region: 'uksouth' }, { hostOverrides: { uksouth: '127.0.0.1:15061', global: '127.0.0.1:15061' } })).toEqual([{ uri: 'sip:SRS@127.0.0.1:15061;transport=tls', host: '127.0.0.1', port: 15061, region: 'uksouth' }]);
  });

  it("a tenant's own list replaces region and global, in its order", () => {
    expect(recorderTargets({ region: 'eastus', recorders: ['rec1.example.com', 'sips:srs@rec2.example.com:5062', 'sip:SRS@[::1]:15061;transport=tls'] }).map((t) => [t.uri, t.port])).toEqual([
      ['sip:SRS@rec1.example.com:5061;transport=tls', 5061],
      ['sips:srs@rec2.example.com:5062', 5062],
      ['sip:SRS@[::1]:15061;transport=tls', 15061],
    ]);
  });

  it.each([
    ['sip:SRS@rec.example.com:5061', /a sip: URI needs ;transport=tls/],
    ['http://rec.example.com', /not a sip:\/sips: URI/],
    ['rec..example.com', /not a host name/],
    ['300.1.1.1', /not a valid IPv4 address/],
    ['rec.example.com:70000', /port 70000 is not 1-65535/],
    ['sips:rec.example.com:0', /port 0 is not 1-65535/],
  ])('refuses recorder %j naming why', (value, message) => {
    expect(() => parseRecorder(value)).toThrow(message);
  });

  it('refuses an unknown region', () => {
    expect(() => recorderTargets({ region: 'mars' as never })).toThrow(/unknown recorder region "mars"/);
    expect(() => recorderTarget('bad host')).toThrow(/recorder "bad host"/);
  });
});
