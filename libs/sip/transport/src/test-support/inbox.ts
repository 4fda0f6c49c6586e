import type { TransportError } from '../errors';
import type { InboundMessage } from '../types';
import type { TransportLayer } from '../transport-layer';

/** Collects what a transport layer delivers, so a test can await the next message or error. */
export class Inbox {
  readonly messages: InboundMessage[] = [];
  readonly errors: TransportError[] = [];
  private readonly stops: Array<() => void>;

  constructor(layer: TransportLayer) {
    this.stops = [layer.onMessage((m) => this.messages.push(m)), layer.onError((e) => this.errors.push(e))];
  }

  /** Resolves with the first message (from index `from`) that matches, or fails after timeoutMs. */
  nextMessage(match: (m: InboundMessage) => boolean = () => true, timeoutMs = 5000, from = 0): Promise<InboundMessage> {
    return poll(() => this.messages.slice(from).find(match), timeoutMs, 'a message');
  }

  nextError(match: (e: TransportError) => boolean = () => true, timeoutMs = 5000): Promise<TransportError> {
    return poll(() => this.errors.find(match), timeoutMs, 'an error');
  }

  stop(): void {
    for (const s of this.stops) s();
  }
}

async function poll<T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
