import { MediaError } from './errors';

/**
 * Hands out RTP/RTCP port pairs (even RTP port p, RTCP p + 1, RFC 3550 §11)
 * from [min, max], round robin so a port just freed is not reused at once
 * (late packets of the last call would land in the next). Binding is the
 * caller's: `bind` gets a pair and returns what it bound or throws when the
 * operating system refuses (someone else's socket); that pair is skipped.
 */
export class PortAllocator {
  private readonly inUse = new Set<number>();
  private cursor: number;
  private readonly first: number;
  private readonly pairs: number;

  constructor(
    readonly min: number,
    readonly max: number,
  ) {
    this.first = min % 2 === 0 ? min : min + 1;
    this.pairs = this.first + 1 <= max ? Math.floor((max - this.first + 1) / 2) : 0;
    this.cursor = 0;
  }

  /** Pairs the range holds. */
  get capacity(): number {
    return this.pairs;
  }

  /** Pairs handed out and not yet released. */
  get used(): number {
    return this.inUse.size;
  }

  /** Tries each free pair once from the cursor; `bind` may throw to skip a pair. */
  async allocate<T>(bind: (rtpPort: number, rtcpPort: number) => Promise<T>): Promise<{ port: number; value: T }> {
    let lastError: unknown;
    for (let tried = 0; tried < this.pairs; tried++) {
      const port = this.first + 2 * ((this.cursor + tried) % this.pairs);
      if (this.inUse.has(port)) continue;
      this.inUse.add(port);
      try {
        const value = await bind(port, port + 1);
        this.cursor = (this.cursor + tried + 1) % this.pairs;
        return { port, value };
      } catch (e) {
        this.inUse.delete(port);
        lastError = e;
      }
    }
    throw new MediaError(
      'ports-exhausted',
      `no free RTP/RTCP port pair (even port and port+1) in ${this.min}-${this.max}: ${this.inUse.size} of ${this.pairs} pairs in use by the recorder` +
        (lastError instanceof Error ? `, the rest refused by the system (last: ${lastError.message})` : ''),
    );
  }

  release(port: number): void {
    this.inUse.delete(port);
  }
}
