import { sendWithFailover } from './failover';
import { TransportError } from './errors';
import type { ResolvedTarget } from './resolver';

const targets: ResolvedTarget[] = [
  { protocol: 'tls', host: '192.0.2.1', port: 5061, serverName: 'example.com' },
  { protocol: 'tls', host: '192.0.2.2', port: 5061, serverName: 'example.com' },
  { protocol: 'tls', host: '192.0.2.3', port: 5061, serverName: 'example.com' },
];

describe('sendWithFailover (RFC 3263 §4.3)', () => {
  it('returns the first target that takes the message, with why the earlier ones failed', async () => {
    const tried: string[] = [];
    const result = await sendWithFailover(targets, async (t) => {
      tried.push(t.host);
      if (t.host === '192.0.2.1') throw new TransportError('connect-refused', 'refused');
      if (t.host === '192.0.2.2') throw new TransportError('tls-hostname-mismatch', 'wrong name');
      return 'sent';
    });
    expect(tried).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    expect(result).toMatchObject({ index: 2, result: 'sent', target: targets[2] });
    expect(result.failures.map((f) => (f.error as TransportError).code)).toEqual(['connect-refused', 'tls-hostname-mismatch']);
  });

  it('stops at the first success', async () => {
    const send = jest.fn(async () => 'ok');
    await expect(sendWithFailover(targets, send)).resolves.toMatchObject({ index: 0, failures: [] });
    expect(send).toHaveBeenCalledTimes(1);
  });

  it('throws all-targets-failed with every error when none works', async () => {
    const codes = ['connect-timeout', 'tls-peer-rejected-certificate', 'tls-handshake'] as const;
    const err = await sendWithFailover(targets, async (t) => {
      throw new TransportError(codes[targets.indexOf(t)] ?? 'socket', `failed ${t.host}`);
    }).then(
      () => {
        throw new Error('expected a failure');
      },
      (e: unknown) => e as TransportError,
    );
    expect(err.code).toBe('all-targets-failed');
    expect(err.errors?.map((e) => (e as TransportError).code)).toEqual([...codes]);
    expect(err.message).toContain('tls:192.0.2.2:5061: failed 192.0.2.2');
  });

  it('does not fail over on errors another target cannot fix', async () => {
    const send = jest.fn(async () => {
      throw new TransportError('too-large', 'too big for UDP');
    });
    await expect(sendWithFailover(targets, send)).rejects.toMatchObject({ code: 'too-large' });
    expect(send).toHaveBeenCalledTimes(1);
    const bug = new TypeError('a bug');
    await expect(
      sendWithFailover(targets, async () => {
        throw bug;
      }),
    ).rejects.toBe(bug);
  });

  it('reports an empty target list', async () => {
    await expect(sendWithFailover([], async () => 'never')).rejects.toMatchObject({ code: 'all-targets-failed', message: 'no target to send to' });
  });
});
