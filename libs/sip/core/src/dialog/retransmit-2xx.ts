import type { TimerHandle, Timers } from '../transaction/ports';

/**
 * RFC 3261 §13.3.1.4: the UAS core retransmits its 2xx to INVITE, starting at
 * T1 and doubling up to T2, until the ACK arrives; after 64*T1 without ACK it
 * gives up (and the dialog sends BYE). This is end to end, so it runs on
 * reliable transports too: a proxy on the way may use UDP.
 */
export class TwoXxRetransmitter {
  private handle?: TimerHandle;
  private elapsed = 0;

  constructor(
    private readonly timers: Timers,
    private readonly t: { t1: number; t2: number },
    private readonly retransmit: () => void,
    private readonly giveUp: () => void,
  ) {}

  start(): void {
    this.elapsed = 0;
    this.arm(this.t.t1);
  }

  stop(): void {
    if (this.handle !== undefined) this.timers.clearTimer(this.handle);
    this.handle = undefined;
  }

  get running(): boolean {
    return this.handle !== undefined;
  }

  private arm(interval: number): void {
    const limit = 64 * this.t.t1;
    const wait = Math.min(interval, limit - this.elapsed);
    this.handle = this.timers.setTimer(wait, () => {
      this.elapsed += wait;
      if (this.elapsed >= limit) {
        this.handle = undefined;
        this.giveUp();
        return;
      }
      this.retransmit();
      this.arm(Math.min(interval * 2, this.t.t2));
    });
  }
}
