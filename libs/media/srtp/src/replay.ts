/**
 * The replay list of RFC 3711 §3.3.2: a sliding window of 64 indices behind the
 * highest authenticated index. Bit k of `mask` is the packet `highest - k`.
 */
export const REPLAY_WINDOW = 64;
const MASK64 = (1n << 64n) - 1n;

export type ReplayVerdict = 'ok' | 'replayed' | 'too-old';

export class ReplayWindow {
  private highest = -1;
  private mask = 0n;

  /** The highest index accepted so far, -1 before the first. */
  get highestIndex(): number {
    return this.highest;
  }

  check(index: number): ReplayVerdict {
    if (this.highest < 0 || index > this.highest) return 'ok';
    const delta = this.highest - index;
    if (delta >= REPLAY_WINDOW) return 'too-old';
    return (this.mask >> BigInt(delta)) & 1n ? 'replayed' : 'ok';
  }

  /** Records an authenticated index (call only after check() said 'ok'). */
  accept(index: number): void {
    if (this.highest < 0) {
      this.highest = index;
      this.mask = 1n;
    } else if (index > this.highest) {
      const shift = index - this.highest;
      this.mask = shift >= REPLAY_WINDOW ? 1n : ((this.mask << BigInt(shift)) | 1n) & MASK64;
      this.highest = index;
    } else {
      this.mask |= 1n << BigInt(this.highest - index);
    }
  }
}
