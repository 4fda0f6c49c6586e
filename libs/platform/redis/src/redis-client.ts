import Redis from 'ioredis';

export interface RedisClientOptions {
  /** redis://[user:pass@]host:port[/db] or rediss:// for TLS. */
  url: string;
  /** Shown in CLIENT LIST, so an operator can tell our connections apart. */
  connectionName: string;
  connectTimeoutMs?: number;
  /** Each command fails after this long instead of waiting for a reconnect forever. */
  commandTimeoutMs?: number;
  /** Reconnect back-off: first delay, doubled each attempt up to maxDelayMs, with jitter. */
  retryBaseDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Commands issued while disconnected are retried this many times, then rejected. */
  maxRetriesPerRequest?: number;
  onError?: (err: Error) => void;
  /**
   * Commands issued in one turn of the event loop go out in one write (ioredis'
   * auto-pipelining): fewer syscalls and round trips under load. Only for a
   * connection that never uses WATCH (MULTI/EXEC blocks are kept whole).
   */
  autoPipelining?: boolean;
}

export interface Health {
  ok: boolean;
  latencyMs?: number;
  error?: string;
}

/** Exponential back-off with full jitter, capped: delay for the n-th (1-based) attempt. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 20));
  return Math.max(baseMs, Math.round(ceiling * random()));
}

/**
 * An ioredis client with timeouts on connect and on every command and a bounded
 * reconnect back-off, so a Redis outage makes calls fail fast (callers then apply
 * their own policy) instead of hanging a SIP transaction.
 */
export function createRedisClient(opts: RedisClientOptions): Redis {
  const base = opts.retryBaseDelayMs ?? 50;
  const max = opts.retryMaxDelayMs ?? 2000;
  const client = new Redis(opts.url, {
    connectionName: opts.connectionName,
    connectTimeout: opts.connectTimeoutMs ?? 2000,
    commandTimeout: opts.commandTimeoutMs ?? 1000,
    maxRetriesPerRequest: opts.maxRetriesPerRequest ?? 2,
    retryStrategy: (times) => backoffDelay(times, base, max),
    enableOfflineQueue: true,
    lazyConnect: false,
    enableAutoPipelining: opts.autoPipelining ?? false,
  });
  // Without a listener ioredis prints every reconnect error as unhandled.
  client.on('error', (err: Error) => opts.onError?.(err));
  return client;
}

/** PING with its own deadline; never throws. */
export async function redisHealth(client: Redis, timeoutMs = 500): Promise<Health> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const reply = await Promise.race([
      client.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no PONG within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    if (reply !== 'PONG') return { ok: false, error: `unexpected reply ${String(reply)}` };
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}

/** QUIT politely, then drop the socket if Redis does not answer in time. */
export async function closeRedis(client: Redis, timeoutMs = 1000): Promise<void> {
  if (client.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([client.quit(), new Promise((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  } catch {
    // QUIT fails when the connection is already gone; disconnect below covers it.
  } finally {
    clearTimeout(timer);
    client.disconnect(false);
  }
}
