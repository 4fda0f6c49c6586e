import { MediaError } from './errors';
import { PortAllocator } from './port-allocator';

const ok = async (rtp: number, rtcp: number) => [rtp, rtcp];

describe('PortAllocator', () => {
  it('hands out even RTP ports with RTCP on port + 1, inside the range', async () => {
    const a = new PortAllocator(31001, 31008); // even ports 31002, 31004, 31006 (31008 has no 31009)
    expect(a.capacity).toBe(3);
    const got = [await a.allocate(ok), await a.allocate(ok), await a.allocate(ok)];
    expect(got.map((g) => g.value)).toEqual([[31002, 31003], [31004, 31005], [31006, 31007]]);
  });

  it('throws ports-exhausted naming the range and the use when every pair is taken', async () => {
    const a = new PortAllocator(40000, 40003);
    await a.allocate(ok);
    await a.allocate(ok);
    const e = await a.allocate(ok).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MediaError);
    expect(e).toMatchObject({ code: 'ports-exhausted', message: expect.stringContaining('40000-40003: 2 of 2 pairs in use') });
  });

  it('skips a pair the system refuses and says so when none is left', async () => {
    const a = new PortAllocator(40000, 40005);
    const refuse40002 = async (rtp: number) => {
      if (rtp === 40002) throw new Error('EADDRINUSE 40002');
      return rtp;
    };
    expect((await a.allocate(refuse40002)).port).toBe(40000);
    expect((await a.allocate(refuse40002)).port).toBe(40004);
    const e = await a.allocate(refuse40002).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'ports-exhausted', message: expect.stringContaining('refused by the system (last: EADDRINUSE 40002)') });
  });

  it('frees a pair on release and reuses it only after the others (round robin)', async () => {
    const a = new PortAllocator(40000, 40005);
    const p1 = await a.allocate(ok);
    a.release(p1.port);
    expect((await a.allocate(ok)).port).toBe(40002);
    expect((await a.allocate(ok)).port).toBe(40004);
    expect((await a.allocate(ok)).port).toBe(40000);
    expect(a.used).toBe(3);
  });

  it('has no pair in a range too small for one', () => {
    expect(new PortAllocator(40001, 40002).capacity).toBe(0);
  });
});
