import type Redis from 'ioredis';

type Listener = () => void;

/**
 * Wakes the SSE connections of a seller when the delivery consumer (of any
 * replica) appends to that seller's stream: one Redis subscriber connection per
 * process, a channel subscribed while at least one connection watches it.
 * Pub/sub delivers nothing while the subscriber is disconnected, so after a
 * reconnect every listener is woken to read what it may have missed (the
 * stream, not the notification, is what a connection reads).
 */
export class StreamNotifier {
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly subscribing = new Map<string, Promise<void>>();
  private wasReady = false;

  constructor(
    private readonly subscriber: Redis,
    private readonly logger: { warn(obj: object, msg?: string): void },
  ) {
    subscriber.on('message', (channel: string) => {
      for (const l of this.listeners.get(channel) ?? []) l();
    });
    subscriber.on('ready', () => {
      if (this.wasReady) this.wakeAll();
      this.wasReady = true;
    });
  }

  /** Watches `channel`; resolves once subscribed (entries appended from then on wake `listener`). Returns the unwatch function. */
  async watch(channel: string, listener: Listener): Promise<() => void> {
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      this.subscribing.set(
        channel,
        this.subscriber.subscribe(channel).then(
          () => undefined,
          // Still watched: ioredis subscribes again on reconnect, and the connection's heartbeat reads the stream meanwhile.
          (err: unknown) => this.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not subscribe to a seller channel yet'),
        ),
      );
    }
    set.add(listener);
    // Every watcher waits for the subscription, not only the first: it reads the stream only once notifications flow.
    await this.subscribing.get(channel);
    return () => this.unwatch(channel, listener);
  }

  get channels(): number {
    return this.listeners.size;
  }

  wakeAll(): void {
    for (const set of this.listeners.values()) for (const l of set) l();
  }

  private unwatch(channel: string, listener: Listener): void {
    const set = this.listeners.get(channel);
    if (!set?.delete(listener) || set.size > 0) return;
    this.listeners.delete(channel);
    this.subscribing.delete(channel);
    this.subscriber.unsubscribe(channel).catch(() => undefined);
  }
}
