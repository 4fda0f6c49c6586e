import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { MediaPort } from '../media-port';
import { MediaReceiver, type StreamOffer } from './media-receiver';

// Only offers that are refused before any socket is bound: these tests use no network.
const KEY = 'PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR';
const offer = (over: Partial<StreamOffer> = {}): StreamOffer => ({
  label: 'inbound',
  payloadTypes: [{ pt: 0, encoding: 'PCMU', clockRate: 8000 }],
  crypto: `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`,
  direction: 'sendonly',
  remote: { address: '127.0.0.1', port: 40000 },
  ...over,
});

describe('MediaReceiver (offers refused before binding)', () => {
  let dir: string;
  let rx: MediaReceiver;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'media-unit-'));
    rx = new MediaReceiver({ host: '127.0.0.1', portMin: 1, portMax: 4, recordingsDir: dir, logger: pino({ level: 'silent' }) });
  });
  afterEach(async () => {
    await rx.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is what the SIP side expects (MediaPort)', () => {
    const port: MediaPort = rx;
    expect(port.activeSessions()).toBe(0);
  });

  it.each([
    [[offer({ crypto: `1 AES_CM_128_HMAC_SHA1_32 inline:${KEY}` })], /stream 'inbound': a=crypto: crypto-suite AES_CM_128_HMAC_SHA1_32 is not accepted/],
    [[offer({ crypto: '1 AES_CM_128_HMAC_SHA1_80 inline:AAAA' })], /stream 'inbound': a=crypto key-param 1: AES_CM_128_HMAC_SHA1_80 needs a 16-octet key and a 14-octet salt/],
    [[offer({ payloadTypes: [{ pt: 18, encoding: 'G729', clockRate: 8000 }] })], /stream 'inbound': no PCMU\/8000 or PCMA\/8000 payload type offered/],
    [[offer(), offer()], /stream label 'inbound' is offered twice/],
    [[offer({ label: '../x' })], /the label must be/],
    [[], /no audio stream offered/],
  ])('refuses %j', async (streams, message) => {
    await expect(rx.open('call-1', streams)).rejects.toMatchObject({ name: 'MediaError', code: 'bad-offer', message: expect.stringMatching(message) });
    expect(rx.activeSessions()).toBe(0);
    expect(rx.freePortPairs()).toBe(1);
  });

  it('refuses to open after close()', async () => {
    await rx.close();
    await expect(rx.open('c', [offer()])).rejects.toMatchObject({ code: 'closed' });
  });
});
