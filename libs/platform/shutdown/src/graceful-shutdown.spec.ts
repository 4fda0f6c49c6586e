import { GracefulShutdown } from './graceful-shutdown';

const quiet = { info: () => undefined, error: () => undefined };

describe('GracefulShutdown', () => {
  it('runs hooks once, in reverse order of registration, then exits 0', async () => {
    const order: string[] = [];
    const exits: number[] = [];
    const s = new GracefulShutdown({ logger: quiet, timeoutMs: 1000, exit: (c) => exits.push(c) });
    s.onShutdown('telemetry', () => void order.push('telemetry'));
    s.onShutdown('redis', async () => void order.push('redis'));
    s.onShutdown('http', () => void order.push('http'));
    expect(s.isShuttingDown).toBe(false);
    const [a, b] = await Promise.all([s.shutdown('SIGTERM'), s.shutdown('again')]);
    expect(order).toEqual(['http', 'redis', 'telemetry']);
    expect([a, b, exits]).toEqual([0, 0, [0]]);
    expect(s.isShuttingDown).toBe(true);
  });

  it('goes on past a failing hook and exits 1', async () => {
    const order: string[] = [];
    const exits: number[] = [];
    const s = new GracefulShutdown({ logger: quiet, timeoutMs: 1000, exit: (c) => exits.push(c) });
    s.onShutdown('last', () => void order.push('last'));
    s.onShutdown('broken', () => {
      throw new Error('boom');
    });
    expect(await s.shutdown('test')).toBe(1);
    expect(order).toEqual(['last']);
    expect(exits).toEqual([1]);
  });

  it('exits 1 when a hook outlives the deadline, naming it', async () => {
    const errors: object[] = [];
    const exits: number[] = [];
    const s = new GracefulShutdown({ logger: { info: () => undefined, error: (o) => errors.push(o) }, timeoutMs: 50, exit: (c) => exits.push(c) });
    s.onShutdown('stuck', () => new Promise(() => undefined));
    expect(await s.shutdown('test')).toBe(1);
    expect(errors).toContainEqual({ pending: 'stuck', timeoutMs: 50 });
  });
});
