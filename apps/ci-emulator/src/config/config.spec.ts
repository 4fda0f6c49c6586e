import { resolve } from 'node:path';
import { buildConfig } from './config';

describe('ci-emulator config', () => {
  it('defaults to loopback and derives the certificate files from CERTS_DIR', () => {
    const c = buildConfig({ CERTS_DIR: '/tmp/certs' });
    expect(c.https).toMatchObject({ host: '127.0.0.1', port: 18443, cert: '/tmp/certs/https.pem', key: '/tmp/certs/https-key.pem' });
    expect(c.sip).toMatchObject({ host: '127.0.0.1', port: 15061, ca: '/tmp/certs/ca.pem', cert: '/tmp/certs/recorder.pem' });
    expect(c.media.recordingsDir).toBe(resolve('.local/ci-emulator/recordings'));
  });

  it('exits 78 naming a media port range too small for one stream, and a bad port', () => {
    let written = '';
    const exit = jest.spyOn(process, 'exit').mockImplementation(((code: number) => {
      throw new Error(`exit ${code}`);
    }) as never);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written += String(chunk);
      return true;
    });
    try {
      expect(() => buildConfig({ MEDIA_PORT_MIN: '31000', MEDIA_PORT_MAX: '31001' })).toThrow('exit 78');
      expect(written).toMatch(/MEDIA_PORT_MAX: must be at least MEDIA_PORT_MIN \+ 3 \(31003\) \(got "31001"\)/);
      written = '';
      expect(() => buildConfig({ SIP_PORT: '70000' })).toThrow('exit 78');
      expect(written).toMatch(/SIP_PORT/);
    } finally {
      exit.mockRestore();
      stderr.mockRestore();
    }
  });
});
